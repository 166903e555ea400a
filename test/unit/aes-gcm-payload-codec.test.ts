import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ZapConfigurationError } from '../../src';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_PAYLOAD_ENCODING,
  ENCRYPTION_KEY_ID_METADATA_KEY,
  PayloadEncryptionError,
} from '../../src/codec';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

function payloadOf(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

function valueOf(payload: Payload | undefined): unknown {
  return defaultPayloadConverter.fromPayload(payload as Payload);
}

function metadataText(payload: Payload | undefined, key: string): string | undefined {
  const value = payload?.metadata?.[key];
  return value ? Buffer.from(value).toString() : undefined;
}

/** Catches the error of a promise that must fail. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('AesGcmPayloadCodec', () => {
  const codec = new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: k1 }] });

  test('round trip keeps metadata and data of every payload', async () => {
    const originals = [payloadOf({ task: 'TOP-SECRET-PLAN-XYZ', n: [1, 2] }), payloadOf('text'), payloadOf(null), payloadOf(new Uint8Array([0, 1, 2]))];
    const encoded = await codec.encode(originals);
    expect(encoded).toHaveLength(4);
    for (const payload of encoded) {
      expect(metadataText(payload, 'encoding')).toBe(ENCRYPTED_PAYLOAD_ENCODING);
      expect(metadataText(payload, ENCRYPTION_KEY_ID_METADATA_KEY)).toBe('k1');
      expect(Object.keys(payload.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    }
    expect(Buffer.from(encoded[0]?.data ?? []).toString('latin1')).not.toContain('TOP-SECRET');
    const decoded = await codec.decode(encoded);
    expect(decoded.map(valueOf)).toEqual([{ task: 'TOP-SECRET-PLAN-XYZ', n: [1, 2] }, 'text', null, new Uint8Array([0, 1, 2])]);
    expect(metadataText(decoded[0], 'encoding')).toBe('json/plain');
    expect(await codec.encode([])).toEqual([]);
  });

  test('the same payload encrypts differently each time (random IV)', async () => {
    const payload = payloadOf('same');
    const [first] = await codec.encode([payload]);
    const [second] = await codec.encode([payload]);
    expect(Buffer.from(first?.data ?? []).equals(Buffer.from(second?.data ?? []))).toBe(false);
    expect(Buffer.from(first?.data ?? []).subarray(0, 12).equals(Buffer.from(second?.data ?? []).subarray(0, 12))).toBe(false);
    expect((await codec.decode([first as Payload, second as Payload])).map(valueOf)).toEqual(['same', 'same']);
  });

  test('payloads that are not encrypted pass through decode unchanged', async () => {
    const plain = payloadOf({ old: true });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test('a wrong key fails with PayloadEncryptionError naming the key id', async () => {
    const encoded = await codec.encode([payloadOf('secret')]);
    const impostor = new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] });
    const error = await failure(impostor.decode(encoded));
    expect(error).toBeInstanceOf(PayloadEncryptionError);
    expect(PayloadEncryptionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PAYLOAD_ENCRYPTION', keyId: 'k1' });
    expect((error as Error).message).toMatch(/Could not decrypt a payload with key 'k1': the key is wrong or the data was altered/);
  });

  test('an unknown key id fails, naming the missing key and the known ones', async () => {
    const encoded = await codec.encode([payloadOf('secret')]);
    const other = new AesGcmPayloadCodec({ keys: [{ id: 'k2', key: k2 }] });
    const error = await failure(other.decode(encoded));
    expect(error).toBeInstanceOf(PayloadEncryptionError);
    expect(error).toMatchObject({ keyId: 'k1' });
    expect((error as Error).message).toMatch(/encrypted with key 'k1', which this process does not have \(known keys: k2\)/);
  });

  test('tampered data, a truncated payload and a missing key id all fail', async () => {
    const [encoded] = await codec.encode([payloadOf('secret')]);
    const data = Buffer.from(encoded?.data ?? []);
    for (const index of [0, 12, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[index] = (tampered[index] as number) ^ 0x01;
      const error = await failure(codec.decode([{ ...encoded, data: tampered }]));
      expect(error).toBeInstanceOf(PayloadEncryptionError);
      expect((error as Error).message).toMatch(/the key is wrong or the data was altered/);
    }
    await expect(codec.decode([{ ...encoded, data: data.subarray(0, 20) }])).rejects.toThrow(/too short/);
    const noKeyId = { metadata: { encoding: Buffer.from(ENCRYPTED_PAYLOAD_ENCODING) }, data };
    await expect(codec.decode([noKeyId])).rejects.toThrow(/no 'encryption-key-id' metadata/);
  });

  test('key rotation: payloads encrypted with k1 still decode after k2 becomes current', async () => {
    const before = await codec.encode([payloadOf('written with k1')]);
    const rotated = new AesGcmPayloadCodec({ keys: [{ id: 'k2', key: k2 }, { id: 'k1', key: k1 }] });
    expect(rotated.currentKeyId).toBe('k2');
    const after = await rotated.encode([payloadOf('written with k2')]);
    expect(metadataText(after[0], ENCRYPTION_KEY_ID_METADATA_KEY)).toBe('k2');
    expect((await rotated.decode([...before, ...after])).map(valueOf)).toEqual(['written with k1', 'written with k2']);
    // A process that only has the old key cannot read new payloads, and says why.
    await expect(codec.decode(after)).rejects.toThrow(/key 'k2'/);
    // currentKeyId picks a key other than the first.
    const explicit = new AesGcmPayloadCodec({ keys: [{ id: 'k2', key: k2 }, { id: 'k1', key: k1 }], currentKeyId: 'k1' });
    expect(metadataText((await explicit.encode([payloadOf(1)]))[0], ENCRYPTION_KEY_ID_METADATA_KEY)).toBe('k1');
  });

  test('keys never show in inspect output or JSON', () => {
    const text = inspect(codec, { depth: 10, showHidden: true }) + JSON.stringify(codec);
    expect(text).not.toContain(k1.toString('hex'));
    expect(text).not.toContain(k1.toString('base64'));
    expect(text).not.toMatch(/Buffer|Uint8Array/);
  });

  test('invalid keys are configuration errors that never print the key', () => {
    const short = randomBytes(16);
    expect(() => new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: short }] })).toThrow(ZapConfigurationError);
    expect(() => new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: short.toString('base64') }] })).toThrow(
      /key 'k1' is 16 bytes; AES-256 needs exactly 32/,
    );
    expect(() => new AesGcmPayloadCodec({ keys: [] })).toThrow(/at least one encryption key/);
    expect(() => new AesGcmPayloadCodec({ keys: [{ id: 'a:b', key: k1 }] })).toThrow(/key id "a:b" is invalid/);
    expect(() => new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: k1 }, { id: 'k1', key: k2 }] })).toThrow(/listed twice/);
    expect(() => new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: k1 }], currentKeyId: 'k9' })).toThrow(
      /encrypting key 'k9' is not among the keys \(k1\)/,
    );
    try {
      new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: short.toString('base64') }] });
    } catch (error) {
      expect((error as Error).message).not.toContain(short.toString('base64'));
    }
  });
});

describe('AesGcmPayloadCodec.fromEnvironment', () => {
  const list = `k2:${k2.toString('base64')},k1:${k1.toString('base64')}`;

  test('reads every key, encrypts with the first by default or with ZAP_ENCRYPTION_KEY_ID', async () => {
    const codec = AesGcmPayloadCodec.fromEnvironment({ ZAP_ENCRYPTION_KEYS: list });
    expect(codec.keyIds).toEqual(['k2', 'k1']);
    expect(codec.currentKeyId).toBe('k2');
    const chosen = AesGcmPayloadCodec.fromEnvironment({ ZAP_ENCRYPTION_KEYS: ` ${list.replace(',', ' , ')} `, ZAP_ENCRYPTION_KEY_ID: 'k1' });
    expect(chosen.currentKeyId).toBe('k1');
    // Both decode what the other wrote: same keys.
    expect((await codec.decode(await chosen.encode([payloadOf('x')]))).map(valueOf)).toEqual(['x']);
    // base64url keys are accepted too.
    const url = AesGcmPayloadCodec.fromEnvironment({ ZAP_ENCRYPTION_KEYS: `k1:${k1.toString('base64url')}` });
    expect((await codec.decode(await url.encode([payloadOf('y')]))).map(valueOf)).toEqual(['y']);
  });

  test.each([
    [{}, /ZAP_ENCRYPTION_KEYS is not set/],
    [{ ZAP_ENCRYPTION_KEYS: '   ' }, /ZAP_ENCRYPTION_KEYS is not set/],
    [{ ZAP_ENCRYPTION_KEYS: k1.toString('base64') }, /entry 1 is not 'keyId:<base64 key>'/],
    [{ ZAP_ENCRYPTION_KEYS: `k1:${k1.toString('base64')},,` }, /entry 2 is not 'keyId:<base64 key>'/],
    [{ ZAP_ENCRYPTION_KEYS: 'k1:' }, /entry 1 is not/],
    [{ ZAP_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}` }, /key 'k1' is 16 bytes; AES-256 needs exactly 32/],
    [{ ZAP_ENCRYPTION_KEYS: `k1:${randomBytes(33).toString('base64')}` }, /key 'k1' is 33 bytes/],
    [{ ZAP_ENCRYPTION_KEYS: 'k1:not base64!' }, /key 'k1' is not base64/],
    [{ ZAP_ENCRYPTION_KEYS: `k1:${k1.toString('base64')},k1:${k2.toString('base64')}` }, /key id 'k1' is listed twice/],
    [{ ZAP_ENCRYPTION_KEYS: `k1:${k1.toString('base64')}`, ZAP_ENCRYPTION_KEY_ID: 'k3' }, /encrypting key 'k3' is not among the keys/],
  ])('bad environment %# is a clear ZapConfigurationError', (environment, message) => {
    const read = (): unknown => AesGcmPayloadCodec.fromEnvironment(environment as NodeJS.ProcessEnv);
    expect(read).toThrow(ZapConfigurationError);
    expect(read).toThrow(message);
  });
});
