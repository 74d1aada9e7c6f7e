import * as z from 'zod';

export const OrgSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    status: z.enum(['active', 'suspended']),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Org' });

export type Org = z.infer<typeof OrgSchema>;
