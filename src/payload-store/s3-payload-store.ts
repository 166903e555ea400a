import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { ZapConfigurationError } from '../core/errors';
import type { PayloadStore } from './payload-store';

type S3Module = typeof import('@aws-sdk/client-s3');

/** Region used with a custom `endpoint` when none is given (S3-compatible servers ignore it, the SDK needs one). */
export const DEFAULT_S3_ENDPOINT_REGION = 'us-east-1';

/** Options of {@link S3PayloadStore}. */
export interface S3PayloadStoreOptions {
  /** Bucket that holds the payloads. It must exist; clients and workers need `s3:GetObject` and `s3:PutObject` on it. */
  bucket: string;
  /**
   * Prepended to every key as is (`zap-agents/` stores `zap-agents/sha256/…`): end it with `/`
   * for a folder.
   * @default ''
   */
  prefix?: string;
  /**
   * An `S3Client` of your own (its region, credentials and endpoint are used). `close()` leaves it
   * open. Mutually exclusive with `endpoint`, `region`, `credentials` and `forcePathStyle`.
   * @default a client made from the options below, on the first use
   */
  client?: S3Client;
  /**
   * URL of an S3-compatible service (MinIO, Ceph, R2, a local test server).
   * @default AWS S3 of `region`
   */
  endpoint?: string;
  /** @default the AWS SDK's (`AWS_REGION`, the profile), or `'us-east-1'` with a custom `endpoint` */
  region?: string;
  /** @default the AWS SDK's default chain (environment, profile, instance or task role) */
  credentials?: S3ClientConfig['credentials'];
  /**
   * Address the bucket in the path (`https://host/bucket/key`) rather than the host name; most
   * S3-compatible services need it.
   * @default true with a custom `endpoint`, else false
   */
  forcePathStyle?: boolean;
}

/**
 * A {@link PayloadStore} in an Amazon S3 bucket (or an S3-compatible service), for a cluster:
 * every client, worker and codec server that reads the payloads reaches the same bucket. A key
 * `sha256/ab…` is the object `<prefix>sha256/ab…`.
 *
 * Uses the AWS SDK v3 (`@aws-sdk/client-s3`), an optional peer dependency loaded on first use:
 * `npm install @aws-sdk/client-s3`. Objects are never deleted by zap-agents; give the bucket a
 * lifecycle rule that expires them well after your tasks' retention (idle timeout plus the
 * namespace's retention period), or they stay forever.
 *
 * @example
 * ```ts
 * const store = new S3PayloadStore({ bucket: 'my-zap-payloads', prefix: 'prod/', region: 'eu-west-1' });
 * const zap = new Zap({ agents, payloadCodec: new ClaimCheckCodec({ store }) });
 * ```
 */
export class S3PayloadStore implements PayloadStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #options: S3PayloadStoreOptions;
  #client: Promise<{ client: S3Client; sdk: S3Module }> | undefined;

  constructor(options: S3PayloadStoreOptions) {
    if (typeof options?.bucket !== 'string' || options.bucket.trim() === '') {
      throw new ZapConfigurationError({ message: 'S3PayloadStore needs a `bucket`.' });
    }
    if (options.prefix !== undefined && typeof options.prefix !== 'string') {
      throw new ZapConfigurationError({ message: 'S3PayloadStore `prefix` must be a string.' });
    }
    const ownClientOptions = (['endpoint', 'region', 'credentials', 'forcePathStyle'] as const).filter((name) => options[name] !== undefined);
    if (options.client !== undefined && ownClientOptions.length > 0) {
      throw new ZapConfigurationError({
        message: `S3PayloadStore takes either a \`client\` or ${ownClientOptions.map((name) => `\`${name}\``).join(', ')}, not both: configure your client instead.`,
      });
    }
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.#options = options;
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const { client, sdk } = await this.connect();
    await client.send(
      new sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: bytes, ContentType: 'application/octet-stream' }),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const { client, sdk } = await this.connect();
    try {
      const response = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (!response.Body) return new Uint8Array();
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const { client, sdk } = await this.connect();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
  }

  /** Closes the client this store made (its sockets); a `client` you gave stays open. */
  async close(): Promise<void> {
    const connecting = this.#client;
    this.#client = undefined;
    if (!connecting || this.#options.client) return;
    const connected = await connecting.catch(() => undefined);
    connected?.client.destroy();
  }

  private connect(): Promise<{ client: S3Client; sdk: S3Module }> {
    if (!this.#client) {
      this.#client = (async () => {
        let sdk: S3Module;
        try {
          sdk = await import('@aws-sdk/client-s3');
        } catch (error) {
          throw new ZapConfigurationError({
            message: 'S3PayloadStore needs the package @aws-sdk/client-s3: npm install @aws-sdk/client-s3',
            cause: error,
          });
        }
        const options = this.#options;
        if (options.client) return { client: options.client, sdk };
        const config: S3ClientConfig = {};
        if (options.endpoint !== undefined) config.endpoint = options.endpoint;
        const region = options.region ?? (options.endpoint !== undefined ? DEFAULT_S3_ENDPOINT_REGION : undefined);
        if (region !== undefined) config.region = region;
        if (options.credentials !== undefined) config.credentials = options.credentials;
        config.forcePathStyle = options.forcePathStyle ?? options.endpoint !== undefined;
        return { client: new sdk.S3Client(config), sdk };
      })();
      this.#client.catch(() => (this.#client = undefined));
    }
    return this.#client;
  }
}

/** S3 answers a missing key with `NoSuchKey` or a bare 404; a missing bucket is a failure, not a missing key. */
function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}
