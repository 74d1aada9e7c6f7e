import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { DependencyUnavailableError, NotFoundError } from '../../errors';
import type { ClaimCheckStore, ClaimReference } from '../../ports/claim-check-store';

/** The tenant's prefix: the first path segment names whose data an object is. */
export const claimPrefix = (tenantId: string) => `T#${tenantId}/`;

/** Claim checks in an S3 bucket encrypted with the hub's KMS key (the bucket's default encryption). */
export class S3ClaimCheckStore implements ClaimCheckStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(tenantId: string, name: string, body: string): Promise<ClaimReference> {
    const bytes = Buffer.from(body, 'utf8');
    const key = `${claimPrefix(tenantId)}${name}`;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: 'application/json',
        }),
      );
    } catch (cause) {
      throw new DependencyUnavailableError('The claim-check store did not accept the payload', { cause });
    }
    return { key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async get(key: string): Promise<string> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (cause) {
      if (cause instanceof NoSuchKey) throw new NotFoundError(`No claim-checked payload ${key}`, { cause });
      throw new DependencyUnavailableError('The claim-check store is unavailable', { cause });
    }
  }
}
