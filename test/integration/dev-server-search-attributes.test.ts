import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ZAP_SEARCH_ATTRIBUTE_NAMES, ZAP_STATUS_ATTRIBUTE } from '../../src/core/search-attributes';
import { TemporalDevServer } from '../../src/testing/temporal-dev-server';

/**
 * Every dev server this package runs (`TemporalDevServer`, so `zap-dev`, `./temporal-dev.sh` and
 * the tests' global setup) registers the zap-agents search attributes, also on a persistent
 * server whose database was created without them (`start-dev --search-attribute` only applies to
 * a new database).
 */

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

async function customAttributes(address: string, namespace: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } finally {
    await connection.close();
  }
}

describe('dev server search attributes', () => {
  const directory = mkdtempSync(join(tmpdir(), 'zap-dev-attributes-'));

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  test('are registered on a new database, and added to one that predates them', async () => {
    const dbFilename = join(directory, 'dev.db');
    const bare = await TemporalDevServer.start({ uiPort: false, dbFilename, searchAttributes: false });
    try {
      const before = await customAttributes(bare.address, bare.namespace);
      expect(ZAP_SEARCH_ATTRIBUTE_NAMES.filter((name) => name in before)).toEqual([]);
    } finally {
      await bare.stop();
    }

    const server = await TemporalDevServer.start({ uiPort: false, dbFilename, port: bare.options.port });
    try {
      const after = await customAttributes(server.address, server.namespace);
      for (const name of ZAP_SEARCH_ATTRIBUTE_NAMES) expect({ name, type: after[name] }).toEqual({ name, type: KEYWORD });

      // Usable at once: a workflow started with them is found by them.
      const connection = await Connection.connect({ address: server.address });
      try {
        const client = new Client({ connection });
        await client.workflow.start('agentWorkflow', {
          taskQueue: 'nobody-polls',
          workflowId: 'registered-attributes',
          args: [],
          typedSearchAttributes: [{ key: ZAP_STATUS_ATTRIBUTE, value: 'pending' }],
        });
        let count = 0;
        for (const deadline = Date.now() + 20_000; count === 0 && Date.now() < deadline; ) {
          count = (await client.workflow.count(`ZapStatus = 'pending'`)).count;
          if (count === 0) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(count).toBe(1);
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
