import * as z from 'zod';

/**
 * Someone (or an app) on a provider. `id` is the provider's stable id (a Jira account id, a GitHub
 * or GitLab user id); `login` is the handle people type (`octocat`), null where the provider has
 * none. `bot` is true for apps and integrations, the hub's own among them.
 */
export const PersonSchema = z
  .object({
    id: z.string(),
    login: z.string().nullable(),
    email: z.string().optional(),
    name: z.string().nullable(),
    bot: z.boolean().optional(),
  })
  .meta({ id: 'Person' });
export type Person = z.infer<typeof PersonSchema>;

/** The container an item lives in: a tracker's project or a code host's repository. */
export const ContainerSchema = z
  .string()
  .describe('The project (`PROJ`) or repository (`acme/web`, `group/sub/project`) the item is in');
