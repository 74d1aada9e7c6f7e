import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ADMIN_KEY_FILE } from '../../lib/local/data-files';
import { isRoleRef, ROLES } from '../../shared/identity/permissions';

/** What every command of the `hub` CLI shares: the program, its global options, and the API call. */

export interface Globals {
  url: string;
  token?: string;
  dataDir: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export const program = new Command('hub')
  .description('Integration Hub command line: talks to the hub API at --url (HUB_URL)')
  .addOption(new Option('--url <url>', 'hub API base URL').env('HUB_URL').default('http://127.0.0.1:3000'))
  .addOption(
    new Option(
      '--token <token>',
      `API key or JWT (default: the local admin key in <data-dir>/${ADMIN_KEY_FILE})`,
    ).env('HUB_TOKEN'),
  )
  .addOption(
    new Option('--data-dir <dir>', 'local runtime data dir').env('HUB_DATA_DIR').default('.hub-data'),
  )
  .showHelpAfterError();

export function globals(): Globals {
  return program.opts<Globals>();
}

export function bearer(): string {
  const { token, dataDir } = globals();
  if (token) return token;
  const file = join(resolve(dataDir), ADMIN_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new CliError(`No credential: pass --token, set HUB_TOKEN, or run the hub locally so ${file} exists`);
}

export async function call(method: string, path: string, body?: unknown, auth = true): Promise<unknown> {
  const { url } = globals();
  let res: Response;
  try {
    res = await fetch(new URL(path, url), {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${bearer()}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(
      `Cannot reach the hub at ${url}: ${(error as Error).cause ?? (error as Error).message}`,
      2,
    );
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    parsed = { detail: text };
  }
  if (!res.ok) {
    const problem = parsed as { title?: string; detail?: string; message?: string; errors?: unknown } | null;
    const detail = problem?.detail ?? problem?.message ?? text;
    const errors = problem?.errors ? `\n${JSON.stringify(problem.errors, null, 2)}` : '';
    throw new CliError(`${res.status} ${problem?.title ?? res.statusText}: ${detail}${errors}`);
  }
  return parsed;
}

export const print = (value: unknown): void => {
  // A 204 (a delete) has nothing to show.
  if (value === null || value === undefined) return;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

export function json(value: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new InvalidArgumentError('must be a JSON object');
  }
}

export function roleRef(value: string): string {
  if (!isRoleRef(value))
    throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}, or a custom role id (role_…)`);
  return value;
}

export const pageQuery = (o: { limit: number; cursor?: string }) =>
  new URLSearchParams({ limit: String(o.limit), ...(o.cursor ? { cursor: o.cursor } : {}) });
