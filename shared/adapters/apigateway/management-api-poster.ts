import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import type { ConnectionPoster } from '../../realtime/connections';

/** SHA-256 (an HMAC when given a secret) from node:crypto, in the shape the SigV4 signer takes. */
class Sha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not resettable');
  }
}

const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** Thrown for an answer of the Management API other than success or 410. */
export class ManagementApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API Gateway Management API's `PostToConnection`, signed with SigV4 (`execute-api`). It stands
 * in for `@aws-sdk/client-apigatewaymanagementapi`, which this project does not ship: the call is
 * one signed POST to `<endpoint>/@connections/<id>`; 410 (GoneException) means the client left.
 */
export class ManagementApiPoster implements ConnectionPoster {
  private readonly signer: SignatureV4;
  private readonly base: URL;

  constructor(endpoint: string, region: string, credentials: AwsCredentialIdentityProvider) {
    this.base = new URL(endpoint.replace(/\/+$/, ''));
    this.signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  }

  async post(connectionId: string, data: string): Promise<'sent' | 'gone'> {
    const path = `${this.base.pathname.replace(/\/+$/, '')}/@connections/${encodeURIComponent(connectionId)}`;
    const body = Buffer.from(data, 'utf8');
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      ...(this.base.port ? { port: Number(this.base.port) } : {}),
      path,
      query: {},
      headers: {
        host: this.base.host,
        'content-type': 'application/json',
        'content-length': String(body.length),
      },
      body,
    });
    const { host: _host, 'content-length': _length, ...headers } = signed.headers;
    const res = await fetch(new URL(path, this.base), { method: 'POST', headers, body });
    // Drained either way, so the connection goes back to the pool.
    const text = await res.text();
    if (res.status === 410) return 'gone';
    if (!res.ok)
      throw new ManagementApiError(
        res.status,
        `PostToConnection answered ${res.status}: ${text.slice(0, 200)}`,
      );
    return 'sent';
  }
}
