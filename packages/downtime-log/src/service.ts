import { keyPairFromSecretKey, operatorIdFromPublicKey } from "@avskit/bls";
import {
  ConfigError,
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
  type Member,
  memberById,
  type Network,
  PeerSigner,
  PeerVerifier,
  parseStaticNetwork,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import { DowntimeDb } from "./db.js";
import type { EpochConfig } from "./epochs.js";
import { buildApi } from "./http.js";
import { DowntimeMetrics } from "./metrics.js";
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

function loadNetwork(config: DowntimeConfig): Promise<Network> {
  return readOptionFile(config.networkFile, "--network-file", ENV_PREFIX, (text) =>
    parseStaticNetwork(text, { thresholdPercent: config.threshold }),
  );
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
Each operator runs one beside its sequencer node, with its own BLS and ECDSA keys (the ones in
the network file), the same --network-file, --threshold and epochs as every other replica, and
--peers naming the others' downtime-log services.

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
    const network = await loadNetwork(config);
    const secretKey = await loadConfiguredBlsSecret(config, ENV_PREFIX);
    const ecdsa = await loadConfiguredEcdsaKey(config, ENV_PREFIX);
    const operatorId = operatorIdFromPublicKey(
      keyPairFromSecretKey(secretKey).publicKeyG1,
    ).toLowerCase() as Hex;
    const self = memberById(network, operatorId);
    if (self === undefined)
      throw flagError(
        "--bls-private-key",
        `the BLS key (operator ${operatorId}) is not a member of the network`,
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
    const identity = JSON.stringify({
      snapshotId: network.snapshotId,
      threshold: config.threshold,
      ...epochs,
    });
    const stored = db.getMeta("identity");
    if (stored !== undefined && stored !== identity) {
      db.close();
      throw flagError(
        "--data-dir",
        `${config.dataDir} holds the log of another network, threshold or epochs (${stored}); use a new --data-dir`,
      );
    }
    db.setMeta("identity", identity);

    const metrics = new DowntimeMetrics(registry);
    const clientLogger = {
      warn: (fields: Record<string, unknown>, message: string) => logger.warn(fields, `sdk: ${message}`),
    };
    const client = new SequencerClient(DOWNTIME_APP, {
      network,
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
      check: { network, db, epochs, maxSkewMs: config.maxClockSkew, now: Date.now },
      metrics,
      logger,
      lagIntervalMs: config.lagInterval,
    });
    const watcher = new Watcher({
      network,
      self,
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
      network,
      epochs,
      watcher,
      replicator,
      verifier: new PeerVerifier(network, operatorId),
      logger,
      http,
      signReport: (report) => answerReport({ db, network, epochs, secretKey, self: operatorId }, report),
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

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
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
        snapshotId: network.snapshotId,
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
