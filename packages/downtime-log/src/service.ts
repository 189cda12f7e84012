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
  type ServiceHandle,
} from "@avskit/runtime";
import { SequencerClient } from "@avskit/sequencer-client";
import {
  type ChainNetworkLoader,
  type Member,
  memberById,
  type Network,
  openRegistryNetworks,
  PeerSigner,
  PeerVerifier,
  parseStaticNetwork,
} from "@avskit/sequencer-protocol";
import type { Hex, PublicClient } from "viem";
import { DowntimeDb } from "./db.js";
import type { EpochConfig } from "./epochs.js";
import { buildApi } from "./http.js";
import { DowntimeMetrics } from "./metrics.js";
import { type NetworkSource, registrySource, staticSource } from "./networks.js";
import { downtimeOptions, ENV_PREFIX } from "./options.js";
import { Replicator } from "./replicator.js";
import { answerReport } from "./report.js";
import { Watcher } from "./watcher.js";

/** The app every operator's events go to. */
export const DOWNTIME_APP = "avs-liveness-checker";

export type DowntimeConfig = ServiceConfig<typeof downtimeOptions>;

export interface DowntimeHandle extends ServiceHandle {
  readonly url: string;
  readonly db: DowntimeDb;
  readonly metrics: DowntimeMetrics;
  stop(reason: string): Promise<void>;
}

const flagError = (flag: string, message: string) =>
  new ConfigError(flag, envNameFor(flag, ENV_PREFIX), message);

const readNetworkFile = (config: DowntimeConfig, file: string, flag: string): Promise<Network> =>
  readOptionFile(file, flag, ENV_PREFIX, (text) =>
    parseStaticNetwork(text, { thresholdPercent: config.threshold }),
  );

interface Sources {
  readonly networks: NetworkSource;
  /** The sequencer's network the SDK checks certificates against, and how it loads later chain sets. */
  readonly sequencer: { network: Network; loadChain?: ChainNetworkLoader };
}

async function sourcesOf(config: DowntimeConfig): Promise<Sources> {
  const sequencerFile = config.sequencerNetworkFile ?? config.networkFile;
  const sequencerFlag =
    config.sequencerNetworkFile !== undefined ? "--sequencer-network-file" : "--network-file";
  if (config.networkFile !== undefined) {
    const network = await readNetworkFile(config, config.networkFile, "--network-file");
    const sequencer =
      sequencerFile === config.networkFile
        ? network
        : await readNetworkFile(config, sequencerFile!, sequencerFlag);
    return { networks: staticSource(network), sequencer: { network: sequencer } };
  }
  if (config.rpcUrl === undefined)
    throw flagError(
      "--network-file",
      "give a static network file, or --rpc-url to read the operators from the registries",
    );
  const reader = await connectChain({ rpcUrl: config.rpcUrl });
  const client = reader as unknown as PublicClient & CodeReader;
  const registries = await openRegistryNetworks(client, config);
  const networks = await registrySource({ client, registries, maxReferenceAgeMs: config.maxReferenceAge });
  if (sequencerFile !== undefined)
    return { networks, sequencer: { network: await readNetworkFile(config, sequencerFile, sequencerFlag) } };
  if (config.sequencerReferenceBlock === undefined)
    throw flagError(
      "--sequencer-network-file",
      "with the operators read from the registries, name the sequencer's network: its static file, or --sequencer-reference-block for a sequencer on the registries",
    );
  return {
    networks,
    sequencer: {
      network: await registries.load(config.sequencerReferenceBlock),
      loadChain: registries.loadChain,
    },
  };
}

function peersOf(config: DowntimeConfig, network: Network, self: Member): Map<Hex, string> {
  const peers = new Map<Hex, string>();
  for (const peer of config.peers ?? []) {
    if (memberById(network, peer.operatorId) === undefined)
      throw flagError("--peers", `${peer.operatorId} is not a member of the network`);
    if (peer.operatorId === self.operatorId) continue;
    if (peers.has(peer.operatorId)) throw flagError("--peers", `${peer.operatorId} is given twice`);
    peers.set(peer.operatorId, peer.url);
  }
  return peers;
}

const HELP_AFTER = `
Each operator runs one beside its sequencer node, with its own BLS and ECDSA keys (the ones it
registered), the same operator set (--network-file, or --rpc-url with the same registries, quorum,
--network-epoch-blocks and --max-reference-age), --threshold and epochs as every other replica,
and --peers naming the others' downtime-log services.

Answers (also: avskit-downtime-query --help):
  GET /v1/operators/<operatorId|address>/epochs/<n|current>[?at=<index>]
  GET /v1/epochs/<n|current>[?at=<index>]     every operator, most downtime first
  GET /v1/status, /v1/digest[?at=], /v1/refusals[?at=], /health
  POST /v1/reports/sign   signs a DowntimeEjector report its own database agrees with

SIGINT/SIGTERM stop it gracefully: probing stops, the batch being written is finished, the
database is closed. Exit codes: 0 stopped as asked; 1 could not start or did not stop in time;
2 invalid options (the message names the flag).`;

export const downtimeService = defineService({
  bin: "avskit-downtime-log",
  name: "downtime-log",
  description:
    "The downtime log of one operator: probes the other operators' nodes, gets suspected changes confirmed by stake, posts them to the sequencer, and replays the log into a local database it answers from.",
  envPrefix: ENV_PREFIX,
  options: downtimeOptions,
  metricsAddr: "127.0.0.1:9095",
  helpAfter: HELP_AFTER,
  stopTimeoutMs: 10_000,
  async start(config, { logger, registry }): Promise<DowntimeHandle> {
    const http = httpLimitsOf(config, ENV_PREFIX);
    const { networks, sequencer } = await sourcesOf(config);
    const network = networks.current();
    const secretKey = await loadConfiguredBlsSecret(config, ENV_PREFIX);
    const ecdsa = await loadConfiguredEcdsaKey(config, ENV_PREFIX);
    const operatorId = operatorIdFromPublicKey(
      keyPairFromSecretKey(secretKey).publicKeyG1,
    ).toLowerCase() as Hex;
    const self = memberById(network, operatorId);
    if (self === undefined)
      throw flagError(
        "--bls-private-key",
        `the BLS key (operator ${operatorId}) is not a member of the network${
          network.snapshot.kind === "chain" ? ` at block ${network.snapshot.referenceBlock}` : ""
        }`,
      );
    if (self.address !== ecdsa.address)
      throw flagError(
        "--ecdsa-private-key",
        `the ECDSA key is ${ecdsa.address}, member ${operatorId} is registered with ${self.address}`,
      );
    const peers = peersOf(config, network, self);
    const epochs: EpochConfig = { lengthMs: config.epochLength, originMs: config.epochOrigin };

    const db = DowntimeDb.open(config.dataDir);
    // A database holds one network's events under one epoch rule; mixing them would corrupt answers.
    const identity = JSON.stringify({ ...networks.identity, threshold: config.threshold, ...epochs });
    const stored = db.getMeta("identity");
    if (stored !== undefined && stored !== identity) {
      db.close();
      throw flagError(
        "--data-dir",
        `${config.dataDir} holds the log of another network, threshold or epochs (${stored}); use a new --data-dir`,
      );
    }
    db.setMeta("identity", identity);
    if (networks.kind === "static") db.seedOperators(network.members);

    const metrics = new DowntimeMetrics(registry);
    const clientLogger = {
      warn: (fields: Record<string, unknown>, message: string) => logger.warn(fields, `sdk: ${message}`),
    };
    const client = new SequencerClient(DOWNTIME_APP, {
      network: sequencer.network,
      ...(sequencer.loadChain !== undefined ? { loadChainNetwork: sequencer.loadChain } : {}),
      ...(config.sequencerUrls !== undefined ? { nodes: config.sequencerUrls } : {}),
      logger: clientLogger,
      failoverTimeoutMs: 10_000,
      longPollMs: 5_000,
    });
    const settings = {
      probeIntervalMs: config.probeInterval,
      probeTimeoutMs: config.probeTimeout,
      suspectAfter: config.suspectAfter,
      confirmTimeoutMs: config.confirmTimeout,
      resubmitAfterMs: config.resubmitAfter,
      maxSkewMs: config.maxClockSkew,
      epochs,
    };
    const replicator = new Replicator({
      client,
      db,
      check: { networks, db, epochs, maxSkewMs: config.maxClockSkew, now: Date.now },
      metrics,
      logger,
      lagIntervalMs: config.lagInterval,
    });
    const watcher = new Watcher({
      networks,
      self: operatorId,
      secretKey,
      peerSigner: new PeerSigner(ecdsa.key, network, operatorId),
      peers,
      db,
      client,
      metrics,
      logger,
      settings,
    });
    const app = buildApi({
      db,
      networks,
      epochs,
      watcher,
      replicator,
      verifier: new PeerVerifier((snapshotId) => networks.known(snapshotId), operatorId),
      logger,
      http,
      signReport: (report) => answerReport({ db, epochs, secretKey, self: operatorId }, report),
    });
    let api: RunningServer;
    try {
      api = await listen(app, config.listen.host, config.listen.port);
    } catch (error) {
      await app.close();
      db.close();
      throw error;
    }
    replicator.start();
    watcher.start();
    const refresh =
      networks.kind === "registries"
        ? setInterval(() => {
            networks
              .refresh()
              .catch((error: unknown) =>
                logger.warn(
                  { err: error },
                  "reading the registries' newest operator set failed; trying again",
                ),
              );
          }, config.networkRefresh)
        : undefined;

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        clearInterval(refresh);
        await watcher.stop();
        await api.close();
        await replicator.stop();
        db.close();
      })();
      return stopping;
    };
    const health = (): HealthReport => ({
      healthy: stopping === undefined,
      asOfIndex: db.position().index,
      finalizedIndex: replicator.finalizedIndex,
    });
    return {
      url: api.url,
      db,
      metrics,
      summary: {
        operator: operatorId,
        url: api.url,
        app: DOWNTIME_APP,
        members: network.members.length,
        peers: peers.size,
        operators: networks.kind === "static" ? "network file" : "registries",
        snapshotId: network.snapshotId,
        ...(network.snapshot.kind === "chain" ? { referenceBlock: network.snapshot.referenceBlock } : {}),
        sequencerSnapshotId: sequencer.network.snapshotId,
        threshold: config.threshold,
        epochLengthMs: epochs.lengthMs,
        epochOriginMs: epochs.originMs,
        resumeAfter: db.position().index,
        dataDir: config.dataDir,
      },
      health,
      stop,
    };
  },
});
