import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../audit/audit-record';
import type { TablesConfig } from '../../config/config';
import type { SubjectBinding, SubjectBindingStore } from '../../sso/subject-bindings';
import { auditPut } from './audit-item';
import { TENANT_COLLECTIONS, tenantPk } from './keys';
import type { DataClient } from './tenant-routing-client';
import { TenantScopedTable } from './tenant-scoped-table';
import { transactWrite } from './transact';

type Item = Record<string, unknown>;

/**
 * Subject bindings in the org's partition, two items per binding written and removed together:
 * `<connectionId>#S#<subjectHash>` (the subject's user) and `<connectionId>#U#<userId>` (the user's
 * subject). Each is put only if absent, so one subject binds one user and one user one subject.
 */
export class DynamoDbSsoSubjectStore implements SubjectBindingStore {
  constructor(
    private readonly client: DataClient,
    private readonly tables: TablesConfig,
  ) {}

  private table(orgId: string) {
    return new TenantScopedTable(this.client, this.tables.domainTable, orgId);
  }
  private pk(orgId: string) {
    return tenantPk(orgId, TENANT_COLLECTIONS.ssoSubjects);
  }
  private bindingOf(orgId: string, item: Item | undefined): SubjectBinding | null {
    if (!item) return null;
    return {
      orgId,
      connectionId: String(item.connectionId),
      userId: String(item.userId),
      subjectHash: String(item.subjectHash),
      boundAt: String(item.boundAt),
    };
  }

  async bySubject(orgId: string, connectionId: string, subjectHash: string) {
    const item = await this.table(orgId).get(this.pk(orgId), `${connectionId}#S#${subjectHash}`, {
      consistent: true,
    });
    return this.bindingOf(orgId, item);
  }

  async ofUser(orgId: string, connectionId: string, userId: string) {
    const item = await this.table(orgId).get(this.pk(orgId), `${connectionId}#U#${userId}`, {
      consistent: true,
    });
    return this.bindingOf(orgId, item);
  }

  async bind(binding: SubjectBinding, audit: AuditRecord): Promise<boolean> {
    const table = this.table(binding.orgId);
    const pk = this.pk(binding.orgId);
    const { orgId: _org, ...fields } = binding;
    const failed = await transactWrite(this.client, [
      table.putItem({ PK: pk, SK: `${binding.connectionId}#S#${binding.subjectHash}`, ...fields }),
      table.putItem({ PK: pk, SK: `${binding.connectionId}#U#${binding.userId}`, ...fields }),
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0) || failed.includes(1)) return false;
    if (failed.length > 0) throw new Error('The subject binding could not be saved');
    return true;
  }

  async unbind(orgId: string, connectionId: string, userId: string, audit: AuditRecord): Promise<boolean> {
    const table = this.table(orgId);
    const pk = this.pk(orgId);
    table.check(pk);
    const current = await this.ofUser(orgId, connectionId, userId);
    if (!current) return false;
    const failed = await transactWrite(this.client, [
      {
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: `${connectionId}#U#${userId}` },
          ConditionExpression: 'subjectHash = :subject',
          ExpressionAttributeValues: { ':subject': current.subjectHash },
        },
      },
      {
        // The subject's item, if it still names this user (not one a later binding wrote).
        Delete: {
          TableName: this.tables.domainTable,
          Key: { PK: pk, SK: `${connectionId}#S#${current.subjectHash}` },
          ConditionExpression: 'attribute_not_exists(PK) OR userId = :user',
          ExpressionAttributeValues: { ':user': userId },
        },
      },
      auditPut(this.tables.auditTable, audit),
    ]);
    if (failed.includes(0)) return false;
    if (failed.length > 0) throw new Error('The subject binding could not be removed');
    return true;
  }

  async forgetConnection(orgId: string, connectionId: string): Promise<void> {
    const pk = this.pk(orgId);
    this.table(orgId).check(pk);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.domainTable,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :connection)',
          ExpressionAttributeValues: { ':pk': pk, ':connection': `${connectionId}#` },
          ProjectionExpression: 'PK, SK',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const keys = (page.Items ?? []).map((i) => ({ PK: String(i.PK), SK: String(i.SK) }));
      for (let i = 0; i < keys.length; i += 25) {
        let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
        while (pending.length > 0) {
          const out = await this.client.send(
            new BatchWriteCommand({ RequestItems: { [this.tables.domainTable]: pending } }),
          );
          pending = (out.UnprocessedItems?.[this.tables.domainTable] ?? []) as typeof pending;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
