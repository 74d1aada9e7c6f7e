/** Thrown at init when configuration is missing or malformed; the message names the variable. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`Environment variable ${name} is required but not set`);
  }
  return value;
}

export function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function url(env: Env, name: string): string {
  const value = required(env, name);
  try {
    return new URL(value).toString();
  } catch (cause) {
    throw new ConfigurationError(`Environment variable ${name} must be a URL, got "${value}"`, { cause });
  }
}
