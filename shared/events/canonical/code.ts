import * as z from 'zod';
import { ContainerSchema, PersonSchema } from './people';
import { ItemRefSchema } from './work-item';

export const PULL_REQUEST_STATES = ['open', 'merged', 'closed'] as const;

/** A pull request (GitHub) or merge request (GitLab). */
export const PullRequestSchema = z
  .object({
    id: z.string(),
    number: z.number().int().describe('Its number in the repository (`#12`, `!12`)'),
    key: z.string().describe('`acme/web#12`, `group/project!12`'),
    url: z.string(),
    container: ContainerSchema,
    title: z.string(),
    description: z.string().describe('Markdown'),
    state: z.enum(PULL_REQUEST_STATES),
    draft: z.boolean(),
    sourceBranch: z.string(),
    targetBranch: z.string(),
    author: PersonSchema.nullable(),
    reviewers: z.array(PersonSchema),
    mentions: z
      .array(z.string())
      .describe('Tracker keys (`PROJ-12`) its source branch, title and description name'),
    createdVia: z.string().nullable().describe('The app that opened it, when the provider says'),
    createdAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime().nullable(),
    mergedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'PullRequest' });
export type PullRequest = z.infer<typeof PullRequestSchema>;

export const PullRequestEventDataSchema = z
  .object({ actor: PersonSchema.nullable(), pullRequest: PullRequestSchema })
  .meta({
    id: 'PullRequestEventData',
    description:
      '`pull_request.opened`, `.reopened`, `.updated`, `.approved`, `.unapproved`, `.merged`, `.closed`',
  });
export type PullRequestEventData = z.infer<typeof PullRequestEventDataSchema>;

export const REVIEW_STATES = ['approved', 'changes_requested', 'commented', 'dismissed'] as const;

export const ReviewEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    review: z.object({
      id: z.string(),
      state: z.enum(REVIEW_STATES),
      body: z.string().describe('Markdown'),
      author: PersonSchema.nullable(),
      submittedAt: z.iso.datetime().nullable(),
    }),
    pullRequest: PullRequestSchema,
  })
  .meta({ id: 'ReviewEventData', description: '`review.submitted`, `review.updated`, `review.dismissed`' });
export type ReviewEventData = z.infer<typeof ReviewEventDataSchema>;

export const RefEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    container: ContainerSchema,
    name: z.string().describe('The branch or tag name, without `refs/heads/` or `refs/tags/`'),
    sha: z.string().nullable(),
  })
  .meta({
    id: 'RefEventData',
    description: '`branch.created`, `branch.deleted`, `tag.created`, `tag.deleted`',
  });
export type RefEventData = z.infer<typeof RefEventDataSchema>;

export const CommitSchema = z
  .object({
    id: z.string(),
    message: z.string(),
    url: z.string(),
    author: z.object({ name: z.string().nullable(), email: z.string().nullable() }),
    timestamp: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Commit' });

export const PushEventDataSchema = z
  .object({
    actor: PersonSchema.nullable(),
    container: ContainerSchema,
    branch: z.string(),
    before: z.string().nullable(),
    after: z.string().nullable(),
    created: z.boolean(),
    deleted: z.boolean(),
    commits: z.array(CommitSchema).describe('The commits the provider listed (it may list only the latest)'),
    totalCommits: z.number().int().nonnegative(),
  })
  .meta({ id: 'PushEventData', description: '`push`: commits pushed to a branch' });
export type PushEventData = z.infer<typeof PushEventDataSchema>;

/** Where a pipeline or a build is: every provider's many states fall into these. */
export const RUN_STATES = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const;

export const RunSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    state: z.enum(RUN_STATES),
    status: z.string().describe("The provider's own status (`success`, `manual`…)"),
    ref: z.string().nullable(),
    sha: z.string().nullable(),
    url: z.string(),
    container: ContainerSchema,
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Run' });

export const PipelineEventDataSchema = z
  .object({ actor: PersonSchema.nullable(), pipeline: RunSchema })
  .meta({ id: 'PipelineEventData', description: '`pipeline.pending|running|succeeded|failed|canceled`' });
export type PipelineEventData = z.infer<typeof PipelineEventDataSchema>;

export const BuildEventDataSchema = z
  .object({ actor: PersonSchema.nullable(), build: RunSchema, pipelineId: z.string().nullable() })
  .meta({ id: 'BuildEventData', description: '`build.pending|running|succeeded|failed|canceled`: one job' });
export type BuildEventData = z.infer<typeof BuildEventDataSchema>;

export { ItemRefSchema };
