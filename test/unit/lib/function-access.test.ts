import { declaredAccess } from '../../../lib/function-access';
import { actionRefusal } from '../../../lib/local/local-iam';
import { PROVIDERS } from '../../../shared/providers';
import type { FunctionName, ResourceAccess } from '../../../shared/topology';
import { functions } from '../../../shared/topology';

const names = Object.keys(functions) as FunctionName[];
const flagged = names.filter((n) => (functions[n] as { providerClients?: boolean }).providerClients);

describe("a function's access, with the provider modules' where it opens provider clients", () => {
  it('adds every module’s access to the flagged functions, and nothing to the others', () => {
    expect(flagged.sort()).toEqual(
      [
        'deliverNotifications',
        'manageMappings',
        'openLinkBranch',
        'receiveChatRequest',
        'runChatWork',
        'scanWorkItems',
        'syncWorkItems',
        'testConnection',
      ].sort(),
    );
    // What a token refresh needs comes from the modules, not from the topology's own lists.
    expect(PROVIDERS.access).toContain('secrets-key:encrypt');
    for (const name of names) {
      const own = functions[name].access as readonly ResourceAccess[];
      const expected = flagged.includes(name) ? [...new Set([...own, ...PROVIDERS.access])] : own;
      expect({ name, access: [...declaredAccess(name)].sort() }).toEqual({
        name,
        access: [...expected].sort(),
      });
    }
    expect(functions.syncWorkItems.access as readonly string[]).not.toContain('secrets-key:encrypt');
  });

  it('lets the local runtime hold a flagged function to it: a refresh may store its token, others may not', () => {
    const as = (name: FunctionName) => ({ kind: 'function', name }) as const;
    expect(actionRefusal(as('syncWorkItems'), 'kms:Encrypt')).toBeNull();
    expect(actionRefusal(as('testConnection'), 'kms:Encrypt')).toBeNull();
    expect(actionRefusal(as('readConnections'), 'kms:Encrypt')).toMatch(/declared access does not allow/);
  });
});
