import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { ZapAgent } from '../../src/agent/zap-agent';
import { compileZapOptions, type ZapOptions } from '../../src/client/zap-options';
import { ZapConfigurationError } from '../../src/core/errors';
import { createZapWorkerPlugin, ZAP_WORKER_PLUGIN_NAME, type ZapWorkerPlugin } from '../../src/worker/zap-worker-plugin';

/** `zap.workerPlugin()` without a server: how it changes a worker's options and its bundle. */

const support = new ZapAgent({ name: 'Support', prompt: 'You help customers.' });
/** The plugin's activities hold the client; these tests never call them. */
const client = new Proxy({} as Client, {
  get() {
    throw new Error('this test has no Temporal client');
  },
});
const passThroughCodec: PayloadCodec = { encode: async (payloads) => payloads, decode: async (payloads) => payloads };

const plugins: ZapWorkerPlugin[] = [];
afterAll(async () => {
  await Promise.all(plugins.map((plugin) => plugin.close()));
});

async function pluginFor(options: Partial<ZapOptions> = {}, warnings: string[] = []): Promise<ZapWorkerPlugin> {
  const plugin = await createZapWorkerPlugin({
    options: compileZapOptions({ agents: [support], taskQueue: 'orders', logger: { warn: (message) => warnings.push(message) }, ...options }, {}),
    client,
  });
  plugins.push(plugin);
  return plugin;
}

const userActivities = { reserveStock: async () => 1, chargeCard: async () => 'charged' };

describe('zap-agents worker plugin', () => {
  it("adds zap's activities next to the user's, and keeps the user's workflow code", async () => {
    const plugin = await pluginFor();
    expect(plugin.name).toBe(ZAP_WORKER_PLUGIN_NAME);
    const configured = plugin.configureWorker({ taskQueue: 'orders', workflowsPath: '/app/workflows.ts', activities: userActivities });
    expect(Object.keys(configured.activities ?? {})).toEqual(
      expect.arrayContaining(['reserveStock', 'chargeCard', 'invokeModel', 'callTool', 'describeAgent', 'resolveAgentTask', 'runHook']),
    );
    expect(configured.workflowsPath).toBe('/app/workflows.ts');
    expect(configured.workflowBundle).toBeUndefined();
    // A bundle of the user's own preloads what the user says (the README shows how to add zap's).
    expect(configured.bundlerOptions).toBeUndefined();
  });

  it("gives a worker without workflow code zap's own", async () => {
    const configured = (await pluginFor()).configureWorker({ taskQueue: 'orders' });
    // From the sources; from `dist`, the prebuilt bundle.
    expect(configured.workflowsPath).toBe(require.resolve('../../src/workflows/index'));
    // Bundled with zap's modules preloaded: evaluated once per V8 context, shared by its runs.
    expect(configured.bundlerOptions).toEqual({ preloadModules: [require.resolve('../../src/workflows/index')] });
  });

  it("adds zap's preloaded modules to the worker's own bundler options", async () => {
    const configured = (await pluginFor()).configureWorker({
      taskQueue: 'orders',
      bundlerOptions: { ignoreModules: ['pg'], preloadModules: ['/app/shared-rules.ts'] },
    });
    expect(configured.bundlerOptions).toEqual({
      ignoreModules: ['pg'],
      preloadModules: ['/app/shared-rules.ts', require.resolve('../../src/workflows/index')],
    });
  });

  it('refuses an activity of the user that has the name of one of zap-agents', async () => {
    const plugin = await pluginFor();
    expect(() => plugin.configureWorker({ taskQueue: 'orders', activities: { ...userActivities, callTool: async () => 'mine' } })).toThrow(
      new ZapConfigurationError({ message: "The worker's activities 'callTool' have the names of zap-agents activities; rename them." }),
    );
  });

  it("warns when the worker's task queue is not the Zap's", async () => {
    const warnings: string[] = [];
    const plugin = await pluginFor({}, warnings);
    plugin.configureWorker({ taskQueue: 'orders' });
    expect(warnings).toEqual([]);
    plugin.configureWorker({ taskQueue: 'billing' });
    expect(warnings).toEqual([expect.stringContaining("Give the Zap taskQueue: 'billing'")]);
  });

  it("adds the Zap's payload codec to the worker's data converter, and refuses a second codec", async () => {
    const plugin = await pluginFor({ payloadCodec: passThroughCodec });
    const configured = plugin.configureWorker({ taskQueue: 'orders', dataConverter: { payloadConverterPath: '/app/converter.js' } });
    expect(configured.dataConverter).toEqual({ payloadConverterPath: '/app/converter.js', payloadCodecs: [passThroughCodec] });
    expect(() => plugin.configureWorker({ taskQueue: 'orders', dataConverter: { payloadCodecs: [passThroughCodec] } })).toThrow(ZapConfigurationError);
    // The replay worker decodes the same payloads.
    expect(plugin.configureReplayWorker({}).dataConverter).toEqual({ payloadCodecs: [passThroughCodec] });
  });

  it("resolves zap-agents/workflows in the user's workflow code to this copy of the package, after the user's own hook", async () => {
    const plugin = await pluginFor();
    const bundle = plugin.configureBundler({
      workflowsPath: '/app/workflows.ts',
      webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), mine$: '/app/mine.ts' } } }),
    });
    expect(bundle.workflowsPath).toBe('/app/workflows.ts');
    const config = bundle.webpackConfigHook!({ resolve: { alias: { existing: false } } });
    expect(config.resolve?.alias).toEqual({
      existing: false,
      mine$: '/app/mine.ts',
      'zap-agents/workflows$': require.resolve('../../src/workflows/index'),
    });
  });

  it('closes when the last worker that runs with it stops, and is then refused by a new worker', async () => {
    const plugin = await pluginFor();
    let release: (() => void) | undefined;
    const worker = { options: { taskQueue: 'orders' } } as unknown as Worker;
    const first = plugin.runWorker(worker, () => new Promise<void>((resolve) => (release = resolve)));
    const second = plugin.runWorker(worker, async () => undefined);
    await second;
    // One worker still runs: the plugin stays open.
    expect(() => plugin.configureWorker({ taskQueue: 'orders' })).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    release!();
    await first;
    expect(() => plugin.configureWorker({ taskQueue: 'orders' })).toThrow(/was closed/);
  });
});
