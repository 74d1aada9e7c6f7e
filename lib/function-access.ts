import { PROVIDERS } from '../shared/providers';
import type { FunctionName, ResourceAccess } from '../shared/topology';
import { functions } from '../shared/topology';

/**
 * What a function may touch: the topology's declaration, and, for a function that opens provider
 * clients (`providerClients`), what every provider module's adapters need (an OAuth refresh stores
 * the new token). The topology cannot say the latter itself: every bundle imports it, and the
 * modules would bring every provider's client along. The CDK stack and the local runtime both use this.
 */
export function declaredAccess(name: FunctionName): readonly ResourceAccess[] {
  const spec = functions[name] as { access: readonly ResourceAccess[]; providerClients?: boolean };
  return spec.providerClients ? [...new Set([...spec.access, ...PROVIDERS.access])] : spec.access;
}
