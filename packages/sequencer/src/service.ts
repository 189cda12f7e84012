import { readFile } from "node:fs/promises";
import type { CodeReader } from "@avskit/bindings";
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
  type ChainNetworkLoader,
  type Member,
  memberById,
  type Network,
  type NetworkDescriptor,
  openRegistryNetworks,
  PeerSigner,
  PeerVerifier,
  parseStaticNetwork,
  type RegistryNetworks,
} from "@avskit/sequencer-protocol";
import type { PublicClient } from "viem";
import { type Hex, keccak256, toBytes } from "viem";
import { briefly, NotAMemberError } from "./errors.js";
import { type Faults, NO_FAULTS, parseFaults, TEST_FAULTS_ENV } from "./faults.js";
import { buildHttpApi } from "./http.js";
import { SequencerMetrics } from "./metrics.js";
import { type KnownNetwork, type NodeKeys, type NodeSettings, SequencerNode } from "./node.js";
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

/** The static network file's set, with its text as the descriptor a new view carries. */
async function readNetworkFile(config: SequencerConfig, file: string): Promise<KnownNetwork> {
  return readOptionFile(file, "--network-file", ENV_PREFIX, (text) => {
    const network = parseStaticNetwork(text, { thresholdPercent: config.threshold });
    return { network, descriptor: { snapshot: network.snapshot, text } };
  });
}

/** The registries a chain network is read from, and how a snapshot of them is loaded. */
interface ChainSource {
  readonly registries: RegistryNetworks;
  /** The operator set at `referenceBlock`. */
  load(referenceBlock: number): Promise<KnownNetwork>;
  /** Resolves a chain descriptor of a new view or of the data dir (the same registries only). */
  readonly loadChain: ChainNetworkLoader;
}

async function chainSource(config: SequencerConfig, rpcUrl: string): Promise<ChainSource> {
  const reader = await connectChain({ rpcUrl });
  const client = reader as unknown as PublicClient & CodeReader;
  const registries = await openRegistryNetworks(client, config);
  const load = async (referenceBlock: number): Promise<KnownNetwork> => {
    const network = await registries.load(referenceBlock);
    return { network, descriptor: { snapshot: network.snapshot } };
  };
  return { registries, load, loadChain: registries.loadChain };
}

async function loadNetwork(
  config: SequencerConfig,
  chain: ChainSource | undefined,
  storedReferenceBlock: number | undefined,
): Promise<KnownNetwork> {
  if (config.networkFile !== undefined) return readNetworkFile(config, config.networkFile);
  if (chain === undefined)
    throw flagError(
      "--network-file",
      "give a static network file, or --rpc-url to read the network from the chain",
    );
  // latest-1 is read once, at the first start: a restart keeps the block its data dir counts stakes at.
  const referenceBlock =
    config.referenceBlock !== "latest-1"
      ? config.referenceBlock
      : (storedReferenceBlock ?? (await chain.registries.latestReferenceBlock()));
  return chain.load(referenceBlock);
}

/** Same members, stakes and URLs (a chain snapshot at a later block that changed nothing is no change). */
function sameSet(a: Network, b: Network): boolean {
  if (a.members.length !== b.members.length || a.thresholdPercent !== b.thresholdPercent) return false;
  return a.members.every((m, i) => {
    const o = b.members[i]!;
    return m.operatorId === o.operatorId && m.stake === o.stake && m.url === o.url && m.address === o.address;
  });
}

/**
 * The operator sets a data dir's log ran on (meta `networks`, oldest first; the last is the
 * current one), resolved from their descriptors: static ones from their text, chain ones from the
 * registries at their reference block.
 */
async function storedNetworks(
  store: SequencerStore,
  config: SequencerConfig,
  chain: ChainSource | undefined,
): Promise<KnownNetwork[]> {
  const raw = store.getMeta("networks");
  if (raw === undefined) return [];
  const out: KnownNetwork[] = [];
  for (const d of JSON.parse(raw) as NetworkDescriptor[]) {
    if (d.snapshot.kind === "static" && d.text !== undefined) {
      out.push({
        network: parseStaticNetwork(d.text, { thresholdPercent: config.threshold }),
        descriptor: d,
      });
    } else if (d.snapshot.kind === "chain" && chain !== undefined) {
      out.push({ network: await chain.loadChain(d.snapshot), descriptor: d });
    }
  }
  return out;
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
    let current: KnownNetwork;
    let offered: KnownNetwork | undefined;
    let chain: ChainSource | undefined;
    let earlier: KnownNetwork[] = [];
    try {
      const stored = store.getMeta("reference_block");
      chain =
        deps.network === undefined && config.networkFile === undefined && config.rpcUrl !== undefined
          ? await chainSource(config, config.rpcUrl)
          : undefined;
      const source: KnownNetwork = deps.network
        ? { network: deps.network, descriptor: { snapshot: deps.network.snapshot } }
        : await loadNetwork(config, chain, stored === undefined ? undefined : Number(stored));
      // A data dir that moved onto new operator sets resumes on the last; a source that gives
      // another set now is offered as the next change once the node runs.
      const history = await storedNetworks(store, config, chain);
      current = history.at(-1) ?? source;
      earlier = history.slice(0, -1);
      if (history.length > 0 && current.network.snapshotId !== source.network.snapshotId) offered = source;
      network = current.network;
      self = memberById(network, operatorId) ?? (offered && memberById(offered.network, operatorId));
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
      if (history.length === 0 && storedSnapshot !== undefined && storedSnapshot !== network.snapshotId) {
        throw flagError(
          config.networkFile !== undefined ? "--network-file" : "--reference-block",
          `the data dir ${config.dataDir} belongs to network snapshot ${storedSnapshot}, not ${network.snapshotId}; use a new --data-dir for a new operator set`,
        );
      }
      if (storedSnapshot === undefined) store.setMeta("snapshot_id", network.snapshotId);
      if (history.length === 0 && !deps.network)
        store.setMeta("networks", JSON.stringify([current.descriptor]));
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
    for (const e of earlier) inner.addNetwork(e.network);
    const verifier = new CachingVerifier(inner);
    const signer = new PeerSigner(
      ecdsa.key,
      memberById(network, operatorId) ? network : offered!.network,
      operatorId,
    );
    const peers = new HttpPeers(signer, {
      timeoutMs: Math.max(2_000, config.roundTimeout * 2),
    });
    const node = new SequencerNode({
      network,
      descriptor: current.descriptor,
      earlier: earlier.map((e) => e.network),
      networkOptions:
        chain === undefined
          ? { thresholdPercent: config.threshold }
          : { thresholdPercent: config.threshold, loadChain: chain.loadChain },
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
      verifier: new PeerVerifier(node.networks, operatorId),
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
    node.onNetworkChange((next) => {
      if (memberById(next, operatorId)) signer.setNetwork(next);
      // A restart reads its source at this block again: it must not offer the set just left.
      if (next.snapshot.kind === "chain")
        store.setMeta("reference_block", String(next.snapshot.referenceBlock));
      if (node.descriptor !== undefined) {
        const history = JSON.parse(store.getMeta("networks") ?? "[]") as NetworkDescriptor[];
        store.setMeta("networks", JSON.stringify([...history, node.descriptor]));
      }
    });
    node.start();
    if (offered) node.offerNetwork(offered);
    // The network file is re-read on an interval (and when a peer's vote names a set this node
    // has not seen): a changed operator set moves the next term onto it (README "Operator set changes").
    let refreshing = false;
    let lastCheckedBlock = 0;
    let lastFileHash =
      current.descriptor.text === undefined ? undefined : keccak256(toBytes(current.descriptor.text));
    if (offered?.descriptor.text !== undefined) lastFileHash = keccak256(toBytes(offered.descriptor.text));
    const refresh = async (): Promise<void> => {
      if (refreshing || node.stopped) return;
      refreshing = true;
      try {
        if (chain !== undefined) {
          // The registries at the latest epoch block: offered only when the set differs.
          // A changed set is offered at the newest epoch block, so that nodes that saw the change
          // in different windows still come to name one snapshot.
          const at = await chain.registries.latestReferenceBlock();
          const current = node.network.snapshot;
          if (at <= Math.max(current.kind === "chain" ? current.referenceBlock : 0, lastCheckedBlock)) return;
          lastCheckedBlock = at;
          const latest = await chain.load(at);
          if (!sameSet(latest.network, node.network)) node.offerNetwork(latest);
          return;
        }
        if (config.networkFile === undefined) return;
        // Parsing checks every member's proof of possession (a pairing each): only when the text
        // changed, or a refresh every few hundred ms would take the event loop from the rounds.
        const text = await readFile(config.networkFile, "utf8");
        const fileHash = keccak256(toBytes(text));
        if (fileHash === lastFileHash) return;
        lastFileHash = fileHash;
        node.offerNetwork(await readNetworkFile(config, config.networkFile));
      } catch (error) {
        logger.warn(
          { err: briefly(error) },
          "the network file could not be re-read; keeping the current set",
        );
      } finally {
        refreshing = false;
      }
    };
    node.refreshNetwork = () => void refresh();
    const refresher =
      config.networkRefresh > 0 && (config.networkFile !== undefined || chain !== undefined)
        ? setInterval(() => void refresh(), config.networkRefresh)
        : undefined;
    refresher?.unref();
    if (faults !== NO_FAULTS)
      logger.warn({ faults: config.fault }, "TEST FAULTS are on: this node misbehaves on purpose");

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        clearInterval(refresher);
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
