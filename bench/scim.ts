import type { RuntimeProcess } from '../test/support/runtime-process';
import { client } from '../test/support/runtime-process';
import type { Summary } from './stats';
import { timeSequential } from './stats';

const N = Number(process.env.BENCH_SCIM_N ?? 200);

/**
 * The SCIM service as an IdP uses it, over the local runtime: a user's creation (one transaction:
 * hub user, email and userName claims, profile, count, audit) and a filtered list, both the
 * indexed lookup IdPs send before every create (`userName eq`) and a filter that reads every
 * user (`emails[type eq "work"].value co …`), with the org holding the `N` users created.
 */
export async function measureScim(
  hub: RuntimeProcess,
  report: (label: string, s: Summary) => void,
  lines: string[],
): Promise<void> {
  const admin = client(hub);
  const suffix = Math.random().toString(36).slice(2, 8);
  const org = (
    await admin('POST', '/v1/orgs', { name: 'SCIM bench', slug: `scim-bench-${suffix}`, plan: 'enterprise' })
  ).json as { id: string };
  const token = String((await admin('POST', `/v1/orgs/${org.id}/scim-tokens`, { name: 'bench' })).json.token);
  const scim = client(hub, token);
  const headers = { 'content-type': 'application/scim+json' };
  let refused = 0;
  const create = (i: number) =>
    scim(
      'POST',
      '/scim/v2/Users',
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `user-${i}-${suffix}@bench.test`,
        name: { givenName: 'Bench', familyName: `User ${i}` },
        emails: [{ value: `user-${i}-${suffix}@bench.test`, type: 'work', primary: true }],
        active: true,
      },
      headers,
    ).then((res) => {
      if (res.status !== 201) refused++;
    });
  let next = 0;
  report('SCIM POST /Users (create a user)', await timeSequential(N, () => create(next++), 5));
  const lookup = encodeURIComponent(`userName eq "user-${Math.floor(N / 2)}-${suffix}@bench.test"`);
  report(
    'SCIM GET /Users?filter=userName eq (indexed)',
    await timeSequential(N, async () => {
      const res = await scim('GET', `/scim/v2/Users?filter=${lookup}`);
      if (res.json.totalResults !== 1) refused++;
    }),
  );
  const scan = encodeURIComponent(`emails[type eq "work"].value co "${suffix}@bench.test"`);
  report(
    `SCIM GET /Users?filter=emails[…] co (all ${next} users read)`,
    await timeSequential(
      Math.min(N, 50),
      async () => {
        const res = await scim('GET', `/scim/v2/Users?filter=${scan}&count=50`);
        if (res.status !== 200) refused++;
      },
      3,
    ),
  );
  lines.push(`SCIM: ${next} users created in one org; ${refused} unexpected answers`);
}
