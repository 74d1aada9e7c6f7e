/**
 * EventBridge event-pattern matching for the operators the hub's rules use: exact values,
 * `prefix`, `suffix`, `anything-but` and `exists`, over nested fields and array values.
 */
type Pattern = Record<string, unknown>;

export function matchesPattern(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) =>
    matchField(expected, event[field], field in event),
  );
}

function matchField(expected: unknown, actual: unknown, present: boolean): boolean {
  if (Array.isArray(expected)) {
    const values = Array.isArray(actual) ? actual : [actual];
    return expected.some((rule) => matchRule(rule, values, present));
  }
  if (expected !== null && typeof expected === 'object') {
    return (
      actual !== null &&
      typeof actual === 'object' &&
      !Array.isArray(actual) &&
      matchesPattern(expected as Pattern, actual as Record<string, unknown>)
    );
  }
  throw new Error(`Invalid event pattern: a leaf must be an array, got ${JSON.stringify(expected)}`);
}

function matchRule(rule: unknown, values: unknown[], present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && values.some((v) => v === rule);
  const [operator, operand, ...rest] = Object.entries(rule as Record<string, unknown>).flat();
  if (rest.length > 0)
    throw new Error(`Invalid event pattern: one operator per rule, got ${JSON.stringify(rule)}`);
  switch (operator) {
    case 'exists':
      return operand === present;
    case 'prefix':
      return present && values.some((v) => typeof v === 'string' && v.startsWith(String(operand)));
    case 'suffix':
      return present && values.some((v) => typeof v === 'string' && v.endsWith(String(operand)));
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return present && values.every((v) => !excluded.includes(v));
    }
    default:
      throw new Error(`Event pattern operator ${String(operator)} is not supported by the local router`);
  }
}
