import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** The little CBOR WebAuthn needs: unsigned and negative integers, byte and text strings, maps. */
type Cbor = number | string | Uint8Array | Map<number | string, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Encodes a value as CBOR (RFC 8949), definite lengths only. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const parts = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

interface Credential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly rpId: string;
  readonly userHandle: string;
  counter: number;
}

/** What a test may make the authenticator do wrong (or differently) for one ceremony. */
export interface Ceremony {
  /** The origin the "browser" puts in the client data. @default the authenticator's */
  readonly origin?: string;
  /** The relying party whose id hash the authenticator data carries. @default the options' */
  readonly rpId?: string;
  /** Whether the user was verified (PIN, biometrics). @default true */
  readonly userVerified?: boolean;
  /** The signature counter to report (a sign-in): @default the kept one plus `counterStep` */
  readonly counter?: number;
  /** Which credential answers a sign-in. @default the first one for the relying party */
  readonly credentialId?: string;
  /** A challenge to sign instead of the options' (a replay of an old one). */
  readonly challenge?: string;
}

/**
 * A platform authenticator in software, for tests: ES256 credentials (node:crypto P-256 keys),
 * discoverable, attestation `none`, the authenticator data and COSE key encoded as WebAuthn says,
 * and the JSON a browser's `PublicKeyCredential.toJSON()` gives. `counterStep` 0 plays an
 * authenticator that keeps no counter (as synced passkeys do).
 */
export class SoftwareAuthenticator {
  private readonly credentials: Credential[] = [];

  constructor(
    private readonly options: { readonly origin: string; readonly counterStep?: number } = {
      origin: 'http://localhost',
    },
  ) {}

  /** The ids of the credentials it holds, base64url. */
  get credentialIds(): string[] {
    return this.credentials.map((c) => b64url(c.id));
  }

  /** `navigator.credentials.create()`: a new credential for the options' relying party and user. */
  create(options: PublicKeyCredentialCreationOptionsJSON, ceremony: Ceremony = {}): RegistrationResponseJSON {
    const rpId = ceremony.rpId ?? options.rp.id ?? new URL(this.options.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(String(jwk.x), 'base64url')],
        [-3, Buffer.from(String(jwk.y), 'base64url')],
      ]),
    );
    const id = randomBytes(16);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      this.authenticatorData(rpId, ceremony.userVerified ?? true, 0, true),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      id,
      coseKey,
    ]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.create',
        challenge: ceremony.challenge ?? options.challenge,
        origin: ceremony.origin ?? this.options.origin,
        crossOrigin: false,
      }),
    );
    this.credentials.push({ id, privateKey, rpId, userHandle: options.user.id, counter: 0 });
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** `navigator.credentials.get()`: an assertion by a discoverable credential of the relying party. */
  get(options: PublicKeyCredentialRequestOptionsJSON, ceremony: Ceremony = {}): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.options.origin).hostname;
    const credential = this.credentials.find((c) =>
      ceremony.credentialId ? b64url(c.id) === ceremony.credentialId : c.rpId === rpId,
    );
    if (!credential) throw new Error(`No credential for ${rpId}`);
    const counter = ceremony.counter ?? credential.counter + (this.options.counterStep ?? 1);
    credential.counter = Math.max(credential.counter, counter);
    const authData = this.authenticatorData(
      ceremony.rpId ?? rpId,
      ceremony.userVerified ?? true,
      counter,
      false,
    );
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: ceremony.challenge ?? options.challenge,
        origin: ceremony.origin ?? this.options.origin,
        crossOrigin: false,
      }),
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(clientDataJSON)]),
      credential.privateKey,
    );
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** rpIdHash, flags (user present, verified, attested data), signature counter. */
  private authenticatorData(rpId: string, userVerified: boolean, counter: number, attested: boolean): Buffer {
    const flags = 0x01 | (userVerified ? 0x04 : 0) | (attested ? 0x40 : 0);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count]);
  }
}
