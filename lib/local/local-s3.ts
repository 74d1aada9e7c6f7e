import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AwsCallCounter } from './aws-calls';
import { listenOnLoopback } from './free-port';
import type { LocalIam } from './local-iam';
import { actionRefusal, callerArn } from './local-iam';

/** The claim-check bucket's name on one machine; in AWS, CloudFormation names it. */
export const LOCAL_CLAIMS_BUCKET = 'hub-claims';

export interface LocalS3 {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** S3 refuses keys longer than 1,024 bytes; a key becomes one file name here, so it stays shorter. */
const MAX_KEY_BYTES = 180;

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource = '',
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

/**
 * Decodes an `aws-chunked` body (the SDK's streaming uploads with a trailing checksum):
 * `<hex size>[;extensions]\r\n<bytes>\r\n` … `0\r\n<trailers>\r\n\r\n`.
 */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw new S3Error(400, 'IncompleteBody', 'The chunked body ended early');
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) throw new S3Error(400, 'InvalidRequest', 'A chunk size is not hexadecimal');
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * A local S3-compatible endpoint for the hub's buckets: path-style PutObject, GetObject, HeadObject,
 * DeleteObject, ListObjectsV2 and DeleteObjects, answering as S3 does (ETag, XML errors such as `NoSuchKey` and `NoSuchBucket`),
 * so the production S3 adapter runs unchanged. Objects persist under `<dataDir>/s3/<bucket>/`.
 */
export async function startLocalS3(deps: {
  dataDir: string;
  /** The buckets that exist; any other answers `NoSuchBucket`. */
  buckets: readonly string[];
  calls?: AwsCallCounter;
  /** Holds each caller to its declared access; without it every caller is the runtime. */
  iam?: LocalIam;
}): Promise<LocalS3> {
  const root = join(deps.dataDir, 's3');
  for (const bucket of deps.buckets) mkdirSync(join(root, bucket), { recursive: true, mode: 0o700 });

  /** The object's file: the key, base64url-encoded, so no key can name a path outside its bucket. */
  function fileOf(bucket: string, key: string): string {
    if (!deps.buckets.includes(bucket)) {
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
    }
    if (key === '') throw new S3Error(400, 'InvalidRequest', 'A key is required');
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', `/${bucket}/${key}`);
    }
    return join(root, bucket, `${Buffer.from(key, 'utf8').toString('base64url')}.object`);
  }

  /** The IAM action of each method, as S3 authorises it (HEAD needs GetObject). */
  const ACTIONS: Readonly<Record<string, string>> = {
    PUT: 's3:PutObject',
    GET: 's3:GetObject',
    HEAD: 's3:GetObject',
    DELETE: 's3:DeleteObject',
  };
  function authorise(req: IncomingMessage, resource: string, action = ACTIONS[req.method ?? '']): void {
    if (!deps.iam || !action) return;
    const principal = deps.iam.principalOfRequest(req.headers.authorization);
    const refusal = principal
      ? actionRefusal(principal, action)
      : 'the access key is not one the runtime issued';
    if (!refusal) return;
    deps.iam.onRefusal(`${action}: ${refusal}`);
    throw new S3Error(
      403,
      'AccessDenied',
      `User: ${callerArn(principal)} is not authorized to perform: ${action} (${refusal})`,
      resource,
    );
  }

  const etagOf = (bytes: Buffer) => `"${createHash('md5').update(bytes).digest('hex')}"`;

  function bucketDir(bucket: string): string {
    if (!deps.buckets.includes(bucket)) {
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
    }
    return join(root, bucket);
  }

  /** ListObjectsV2: keys under the prefix in UTF-8 binary order, a page at a time after the token. */
  function listObjects(bucket: string, query: URLSearchParams, res: ServerResponse): void {
    deps.calls?.count('S3', 'ListObjectsV2');
    const dir = bucketDir(bucket);
    const prefix = query.get('prefix') ?? '';
    const maxKeys = Math.min(Number(query.get('max-keys') ?? 1000), 1000);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      throw new S3Error(400, 'InvalidArgument', 'max-keys must be a non-negative integer', `/${bucket}`);
    }
    const token = query.get('continuation-token');
    const after =
      token === null ? (query.get('start-after') ?? '') : Buffer.from(token, 'base64url').toString('utf8');
    const keys = readdirSync(dir)
      .filter((f) => f.endsWith('.object'))
      .map((f) => Buffer.from(f.slice(0, -'.object'.length), 'base64url'))
      .filter((k) => k.toString('utf8').startsWith(prefix) && Buffer.compare(k, Buffer.from(after)) > 0)
      .sort(Buffer.compare)
      .map((k) => k.toString('utf8'));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const url = query.get('encoding-type') === 'url';
    const name = (s: string) => xmlEscape(url ? encodeURIComponent(s) : s);
    const contents = page.map((key) => {
      const file = fileOf(bucket, key);
      const stat = statSync(file);
      return `<Contents><Key>${name(key)}</Key><LastModified>${stat.mtime.toISOString()}</LastModified><ETag>${xmlEscape(etagOf(readFileSync(file)))}</ETag><Size>${stat.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    });
    const last = page.at(-1);
    res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${name(prefix)}</Prefix>` +
        (token === null ? '' : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`) +
        `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${url ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>` +
        (truncated && last !== undefined
          ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>`
          : '') +
        `${contents.join('')}</ListBucketResult>`,
    );
  }

  /** DeleteObjects: up to 1,000 keys; a key that is not there is reported deleted, as S3 does. */
  function deleteObjects(bucket: string, body: Buffer, res: ServerResponse): void {
    deps.calls?.count('S3', 'DeleteObjects');
    bucketDir(bucket);
    const xml = body.toString('utf8');
    const xmlUnescape = (s: string) =>
      s.replace(/&(lt|gt|amp|apos|quot|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) =>
        e.startsWith('#x')
          ? String.fromCodePoint(Number.parseInt(e.slice(2), 16))
          : e.startsWith('#')
            ? String.fromCodePoint(Number(e.slice(1)))
            : (({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' } as Record<string, string>)[e] ?? e),
      );
    const keys = [...xml.matchAll(/<Object>\s*<Key>([\s\S]*?)<\/Key>/g)].map((m) => xmlUnescape(m[1] ?? ''));
    if (!/<Delete[\s>]/.test(xml) || keys.length === 0 || keys.length > 1000) {
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
        `/${bucket}`,
      );
    }
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/.test(xml);
    const results = keys.map((key) => {
      try {
        const file = fileOf(bucket, key);
        rmSync(file, { force: true });
        rmSync(`${file}.meta`, { force: true });
        return quiet ? '' : `<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`;
      } catch (error) {
        const e = error instanceof S3Error ? error : new S3Error(500, 'InternalError', String(error));
        return `<Error><Key>${xmlEscape(key)}</Key><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error>`;
      }
    });
    res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${results.join('')}</DeleteResult>`,
    );
  }

  function handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    // The raw path, not a URL's: `..` in a key is part of the key, never a step up.
    const [path = '/', search = ''] = (req.url ?? '/').split('?');
    const [, bucket = '', ...rest] = path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const query = new URLSearchParams(search);
    // The bucket's own operations: a listing (GET with no key) and a batch delete (POST ?delete).
    if (key === '' && req.method === 'GET' && query.get('list-type') === '2') {
      authorise(req, `/${bucket}`, 's3:ListBucket');
      listObjects(decodeURIComponent(bucket), query, res);
      return;
    }
    if (key === '' && req.method === 'POST' && query.has('delete')) {
      // S3 authorises each key of the batch as a DeleteObject.
      authorise(req, `/${bucket}`, 's3:DeleteObject');
      const chunked =
        String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
        String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
      deleteObjects(decodeURIComponent(bucket), chunked ? decodeAwsChunked(body) : body, res);
      return;
    }
    const resource = `/${bucket}/${key}`;
    authorise(req, resource);
    const file = fileOf(decodeURIComponent(bucket), key);
    switch (req.method) {
      case 'PUT': {
        deps.calls?.count('S3', 'PutObject');
        const chunked =
          String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
          String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
        const bytes = chunked ? decodeAwsChunked(body) : body;
        // Written whole, then renamed: a reader never sees half an object.
        const partial = `${file}.${randomUUID()}.partial`;
        writeFileSync(partial, bytes, { mode: 0o600 });
        writeFileSync(
          `${file}.meta`,
          JSON.stringify({
            contentType: req.headers['content-type'] ?? 'binary/octet-stream',
            // Kept as S3 keeps it: the lifecycle rules in AWS expire objects by their tags.
            tagging: req.headers['x-amz-tagging'] ?? null,
          }),
          { mode: 0o600 },
        );
        renameSync(partial, file);
        res.writeHead(200, { etag: etagOf(bytes), 'x-amz-request-id': randomUUID() });
        res.end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        deps.calls?.count('S3', req.method === 'GET' ? 'GetObject' : 'HeadObject');
        let bytes: Buffer;
        let modified: Date;
        try {
          bytes = readFileSync(file);
          modified = statSync(file).mtime;
        } catch {
          throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', resource);
        }
        let contentType = 'binary/octet-stream';
        try {
          contentType = (JSON.parse(readFileSync(`${file}.meta`, 'utf8')) as { contentType: string })
            .contentType;
        } catch {
          // An object without its metadata file is still served, as binary.
        }
        res.writeHead(200, {
          'content-type': contentType,
          'content-length': bytes.length,
          etag: etagOf(bytes),
          'last-modified': modified.toUTCString(),
          'x-amz-request-id': randomUUID(),
        });
        res.end(req.method === 'GET' ? bytes : undefined);
        return;
      }
      case 'DELETE':
        deps.calls?.count('S3', 'DeleteObject');
        // S3 answers 204 whether or not the key existed.
        rmSync(file, { force: true });
        rmSync(`${file}.meta`, { force: true });
        res.writeHead(204, { 'x-amz-request-id': randomUUID() });
        res.end();
        return;
      default:
        throw new S3Error(405, 'MethodNotAllowed', `${req.method} is not emulated`, resource);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, Buffer.concat(chunks), res);
      } catch (error) {
        const e = error instanceof S3Error ? error : new S3Error(500, 'InternalError', String(error));
        const requestId = randomUUID();
        res.writeHead(e.status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
        // HEAD answers carry no body, as in S3: the SDK reads the status alone.
        res.end(
          req.method === 'HEAD'
            ? undefined
            : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message><Resource>${xmlEscape(e.resource)}</Resource><RequestId>${requestId}</RequestId></Error>`,
        );
      }
    });
  });
  return listenOnLoopback(server);
}
