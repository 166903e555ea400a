import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ZapConfigurationError } from '../core/errors';
import { isValidStoreKey, type PayloadStore } from './payload-store';
import { PayloadStoreError } from './payload-store-error';

/** Options of {@link FileSystemPayloadStore}. */
export interface FileSystemPayloadStoreOptions {
  /** Folder that holds the objects (one file per key); created on the first write. */
  directory: string;
}

/**
 * A {@link PayloadStore} in a local folder, for one host: every client, worker and codec server
 * that reads the payloads must see the same folder (one machine, or a shared volume). A key
 * `sha256/ab…` is the file `<directory>/sha256/ab…`.
 *
 * Failures of the file system (permissions, a full disk) are thrown as they are; `ClaimCheckCodec`
 * reports them as `PayloadStoreError`s naming the key.
 *
 * Writes are atomic: the bytes go to a temporary file in the same folder, are flushed to disk, and
 * the file is renamed into place, so a reader never sees half an object and a crash leaves at most
 * a stray `*.tmp` file.
 *
 * @example
 * ```ts
 * const store = new FileSystemPayloadStore({ directory: '/var/lib/zap-agents/payloads' });
 * const zap = new Zap({ agents, payloadCodec: new ClaimCheckCodec({ store }) });
 * ```
 */
export class FileSystemPayloadStore implements PayloadStore {
  /** The folder, as an absolute path. */
  readonly directory: string;

  constructor(options: FileSystemPayloadStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory.trim() === '') {
      throw new ZapConfigurationError({ message: 'FileSystemPayloadStore needs a `directory`.' });
    }
    this.directory = resolve(options.directory);
  }

  get location(): string {
    return this.directory;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    const temporaryPath = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await mkdir(dirname(path), { recursive: true });
    try {
      const file = await open(temporaryPath, 'wx');
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporaryPath, path);
    } catch (error) {
      await rm(temporaryPath, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    if (!isValidStoreKey(key)) {
      throw new PayloadStoreError({
        message: `'${key}' is not a valid payload store key (segments of [A-Za-z0-9._-] separated by '/').`,
        failure: 'invalid-reference',
        key,
        location: this.directory,
      });
    }
    return join(this.directory, key);
  }
}
