import { createHash } from 'node:crypto';
import type { DeleteObjectsCommandOutput, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { DependencyUnavailableError, NotFoundError, ValidationError } from '../../errors';
import { ID_PATTERN } from '../../ids';
import type { ClaimCheckStore, ClaimReference } from '../../ports/claim-check-store';
import { dataRetentionDays, RETENTION_TAG, retentionClass } from '../../tenancy/retention';

/** The tenant's prefix: the first path segment names whose data an object is. */
export const claimPrefix = (tenantId: string) => `T#${tenantId}/`;

/** S3 deletes at most 1,000 keys in one `DeleteObjects` call, and lists at most 1,000 a page. */
const PURGE_PAGE = 1000;

/** A purge's prefix, only of a well-formed org id: a malformed one could name another tenant's keys or all. */
function purgePrefix(tenantId: string): string {
  if (!ID_PATTERN('org').test(tenantId)) throw new ValidationError(`${tenantId} is not an organisation id`);
  return claimPrefix(tenantId);
}

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
          // The bucket's lifecycle rules expire objects by this tag: each is kept for its org's retention.
          Tagging: `${RETENTION_TAG}=${retentionClass(dataRetentionDays(tenantId))}`,
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

  async purgeTenant(
    tenantId: string,
    shouldStop: () => boolean = () => false,
  ): Promise<{ removed: number; done: boolean }> {
    const prefix = purgePrefix(tenantId);
    let removed = 0;
    let token: string | undefined;
    do {
      if (shouldStop()) return { removed, done: false };
      let keys: string[];
      try {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            MaxKeys: PURGE_PAGE,
            ContinuationToken: token,
          }),
        );
        // Only keys under the prefix, whatever the listing says: a purge never reaches past its tenant.
        keys = (page.Contents ?? []).flatMap((o) => (o.Key?.startsWith(prefix) ? [o.Key] : []));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } catch (cause) {
        throw new DependencyUnavailableError('The claim-check store could not list the tenant', { cause });
      }
      if (keys.length > 0) removed += await this.deleteKeys(keys);
    } while (token);
    return { removed, done: true };
  }

  /** Deletes one page of keys; a key already gone counts as deleted, as S3 reports it. */
  private async deleteKeys(keys: string[]): Promise<number> {
    let out: DeleteObjectsCommandOutput;
    try {
      out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false },
        }),
      );
    } catch (cause) {
      throw new DependencyUnavailableError("The claim-check store did not delete the tenant's objects", {
        cause,
      });
    }
    const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length > 0)
      throw new DependencyUnavailableError(
        `The claim-check store did not delete ${failed.length} object(s): ${failed[0]?.Code ?? 'unknown'}`,
      );
    return keys.length;
  }
}
