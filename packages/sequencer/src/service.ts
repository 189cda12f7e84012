import { resolveContracts } from "@avskit/bindings";
import { keyPairFromSecretKey, operatorIdFromPublicKey } from "@avskit/bls";
import {
  ConfigError,
  connectChain,
  defineService,
  envNameFor,
  type HealthReport,
  httpLimitsOf,
  listen,
  loadConfiguredBlsSecret,
  loadConfiguredEcdsaKey,
  type RunningServer,
  readOptionFile,
  type ServiceConfig,
  type ServiceConfigInput,
  type ServiceHandle,
} from "@avskit/runtime";
import {
  loadChainNetwork,
  type Member,
  memberById,
  type Network,
  PeerSigner,
  PeerVerifier,
  parseStaticNetwork,
} from "@avskit/sequencer-protocol";
import type { Hex, PublicClient } from "viem";
import { NotAMemberError } from "./errors.js";
import { type Faults, NO_FAULTS, parseFaults, TEST_FAULTS_ENV } from "./faults.js";
import { buildHttpApi } from "./http.js";
import { SequencerMetrics } from "./metrics.js";
import { type NodeKeys, type NodeSettings, SequencerNode } from "./node.js";
import { ENV_PREFIX, sequencerOptions } from "./options.js";
import { HttpPeers } from "./peers.js";
import { SequencerStore } from "./store.js";
import { type BlsVerifier, CachingVerifier, InThreadBlsVerifier } from "./verifier.js";
import { WorkerBlsVerifier } from "./verify-pool.js";

export type SequencerConfig = ServiceConfig<typeof sequencerOptions>;
export type SequencerConfigInput = ServiceConfigInput<typeof sequencerOptions>;

/** What tests may swap in; the CLI passes none. */
export interface SequencerDeps {
  /** The network instead of --network-file / the chain. */
  readonly network?: Network;
  /** Pairings on the event loop instead of the worker pool (tests without a build). */
  readonly inThreadVerifier?: boolean;
}

export interface SequencerHandle extends ServiceHandle {
  /** Base URL of the HTTP API. */
  readonly url: string;
  readonly node: SequencerNode;
  readonly metrics: SequencerMetrics;
  health(): HealthReport;
  stop(reason: string): Promise<void>;
}

const flagError = (flag: string, message: string) =>
  new ConfigError(flag, envNameFor(flag, ENV_PREFIX), message);

async function loadNetwork(
  config: SequencerConfig,
  storedReferenceBlock: number | undefined,
): Promise<Network> {
  if (config.networkFile !== undefined)
    return readOptionFile(config.networkFile, "--network-file", ENV_PREFIX, (text) =>
      parseStaticNetwork(text, { thresholdPercent: config.threshold }),
    );
  if (config.rpcUrl === undefined)
    throw flagError(
      "--network-file",
      "give a static network file, or --rpc-url to read the network from the chain",
    );
  const reader = await connectChain({ rpcUrl: config.rpcUrl });
  const client = reader as unknown as PublicClient;
  const { addresses } = await resolveContracts(reader, {
    ...(config.deploymentsDir !== undefined ? { dir: config.deploymentsDir } : {}),
    contracts: {
      registryCoordinator: { flag: "--registry-coordinator", address: config.registryCoordinator },
      operatorStateRetriever: { flag: "--operator-state-retriever", address: config.operatorStateRetriever },
    },
  });
  // latest-1 is read once, at the first start: a restart keeps the block its data dir counts stakes at.
  const referenceBlock =
    config.referenceBlock !== "latest-1"
      ? config.referenceBlock
      : (storedReferenceBlock ?? Number(await client.getBlockNumber()) - 1);
  return loadChainNetwork(client, {
    registryCoordinator: addresses.registryCoordinator,
    operatorStateRetriever: addresses.operatorStateRetriever,
    quorumNumber: config.quorum,
    referenceBlock: Math.max(0, referenceBlock),
    thresholdPercent: config.threshold,
    chainId: await client.getChainId(),
  });
}

function settingsOf(config: SequencerConfig): NodeSettings {
  return {
    heartbeatMs: config.heartbeat,
    roundTimeoutMs: config.roundTimeout,
    graceMs: 3,
    maxRoundBytes: config.maxRoundBytes,
    leaderTimeoutMs: config.leaderTimeout,
    censorshipTimeoutMs: config.censorshipTimeout,
    finalityTimeoutMs: config.finalityTimeout,
    resendAfterMs: config.resendAfter,
    maxPending: config.maxPending,
  };
}

function faultsOf(config: SequencerConfig, env: NodeJS.ProcessEnv): Faults {
  if (config.fault === undefined || config.fault.length === 0) return NO_FAULTS;
  if (env[TEST_FAULTS_ENV] !== "1")
    throw flagError("--fault", `is for tests only: set ${TEST_FAULTS_ENV}=1 to use it`);
  try {
    return parseFaults(config.fault);
  } catch (error) {
    throw flagError("--fault", (error as Error).message);
  }
}

const HELP_AFTER = `
Give the network with --network-file (static) or --rpc-url (+ --deployments-dir or
--registry-coordinator/--operator-state-retriever, --quorum, --reference-block); the BLS key with
--bls-keystore-path (+ password) or --bls-private-key; the ECDSA key of the member's address with
--ecdsa-private-key or --ecdsa-keystore-path (+ password). The keys must be those of one member.

SIGINT/SIGTERM stop it gracefully: the HTTP API stops taking requests (503 SHUTTING_DOWN), the
round in flight ends, and the database is closed. Exit codes: 0 stopped as asked; 1 could not
start or did not stop in time; 2 invalid options (the message names the flag).`;

export const sequencerService = defineService({
  bin: "avskit-sequencer",
  name: "sequencer",
  description:
    "A sequencer node: orders client batches per app with the other members (one leader per term), and finalizes them with BLS certificates a quorum by stake signed.",
  envPrefix: ENV_PREFIX,
  options: sequencerOptions,
  metricsAddr: "127.0.0.1:9094",
  helpAfter: HELP_AFTER,
  stopTimeoutMs: 15_000,
  isUsageError: (error) => error instanceof NotAMemberError || error instanceof ConfigError,
  async start(config, { logger, registry, env }, deps: SequencerDeps = {}): Promise<SequencerHandle> {
    const http = httpLimitsOf(config, ENV_PREFIX);
    const faults = faultsOf(config, env);
    const blsSecretKey = await loadConfiguredBlsSecret(config, ENV_PREFIX);
    const ecdsa = await loadConfiguredEcdsaKey(config, ENV_PREFIX);
    const operatorId = operatorIdFromPublicKey(
      keyPairFromSecretKey(blsSecretKey).publicKeyG1,
    ).toLowerCase() as Hex;
    const store = SequencerStore.open(config.dataDir, { fsync: config.fsync });
    let network: Network;
    let self: Member | undefined;
    try {
      const stored = store.getMeta("reference_block");
      network =
        deps.network ?? (await loadNetwork(config, stored === undefined ? undefined : Number(stored)));
      self = memberById(network, operatorId);
      if (!self)
        throw new NotAMemberError(
          `--bls-private-key / --bls-keystore-path: the BLS key (operator ${operatorId}) is not a member of the network`,
        );
      if (self.address.toLowerCase() !== ecdsa.address.toLowerCase())
        throw new NotAMemberError(
          `--ecdsa-private-key / --ecdsa-keystore-path: the ECDSA key is ${ecdsa.address}, member ${operatorId} is registered with ${self.address}`,
        );
      // Every vote and certificate in the data dir counts stakes of one snapshot: another
      // operator set is another network, not a continuation of this one (README "Operator set").
      const storedSnapshot = store.getMeta("snapshot_id");
      if (storedSnapshot !== undefined && storedSnapshot !== network.snapshotId) {
        throw flagError(
          config.networkFile !== undefined ? "--network-file" : "--reference-block",
          `the data dir ${config.dataDir} belongs to network snapshot ${storedSnapshot}, not ${network.snapshotId}; use a new --data-dir for a new operator set`,
        );
      }
      store.setMeta("snapshot_id", network.snapshotId);
      if (network.snapshot.kind === "chain")
        store.setMeta("reference_block", String(network.snapshot.referenceBlock));
    } catch (error) {
      store.close();
      throw error;
    }
    const keys: NodeKeys = { blsSecretKey, ecdsaPrivateKey: ecdsa.key };
    const metrics = new SequencerMetrics(registry);
    const inner: BlsVerifier = deps.inThreadVerifier
      ? new InThreadBlsVerifier(network)
      : await WorkerBlsVerifier.start(network, { size: config.verifyWorkers, logger });
    const verifier = new CachingVerifier(inner);
    const peers = new HttpPeers(new PeerSigner(ecdsa.key, network, operatorId), {
      timeoutMs: Math.max(2_000, config.roundTimeout * 2),
    });
    const node = new SequencerNode({
      network,
      self,
      keys,
      store,
      peers,
      verifier,
      logger,
      metrics,
      settings: settingsOf(config),
      faults,
    });
    const app = buildHttpApi({
      node,
      verifier: new PeerVerifier(network, operatorId),
      metrics,
      logger,
      http,
      limits: {
        bodyLimit: config.bodyLimit,
        maxBatchBytes: config.maxBatchBytes,
        maxBatchesPerRequest: config.maxBatchesPerRequest,
        maxWaitMs: 30_000,
        maxPageLimit: 1_000,
      },
    });
    let api: RunningServer;
    try {
      api = await listen(app, config.listen.host, config.listen.port);
    } catch (error) {
      await app.close();
      await verifier.close();
      store.close();
      throw error;
    }
    node.start();
    if (faults !== NO_FAULTS)
      logger.warn({ faults: config.fault }, "TEST FAULTS are on: this node misbehaves on purpose");

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await Promise.all([api.close(), node.stop()]);
        await peers.close();
        await verifier.close();
        store.close();
      })();
      return stopping;
    };
    const health = (): HealthReport => ({
      healthy: !node.stopped,
      ready: node.ready,
      term: node.term.toString(),
      leader: node.leader.operatorId,
      pending: node.pendingCount,
    });
    return {
      url: api.url,
      node,
      metrics,
      summary: {
        node: operatorId,
        url: api.url,
        advertisedUrl: self.url,
        term: node.term.toString(),
        leader: node.leader.operatorId,
        snapshotId: network.snapshotId,
        members: network.members.length,
        dataDir: config.dataDir,
        fsync: config.fsync,
      },
      health,
      stop,
    };
  },
});
