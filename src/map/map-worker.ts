import { parentPort } from "node:worker_threads";
import { RegionResolver } from "../geo/region-resolver.js";
import { errorToMessage } from "../io/worker-errors.js";
import { IpKey } from "../privacy/ip-key.js";
import { AddressReader } from "../privacy/ip-token.js";
import { RequesterHasher } from "../summaries/requesters.js";
import { AddressColumns } from "./address-columns.js";
import type { FromMapWorker, MapWorkerSetup, ToMapWorker } from "./map-worker-protocol.js";
import { OutputWriter } from "./output-writer.js";
import { addressFingerprints, mapObjectItems, redoDandisetItems, type ThreadTools } from "./shared-work.js";
import { ClaimedFolders, NO_UNDO } from "./undo-log.js";

/** A worker thread of a shared map (map-shared.ts): chunks of objects, then of Dandisets. */
const port = parentPort;
if (port === null) throw new Error("map/map-worker.js runs as a worker thread only");

let tools: ThreadTools | null = null;
let resolver: RegionResolver | null = null;
let writer: OutputWriter | null = null;
let setupError: unknown = null;

function setUp(setup: MapWorkerSetup): void {
  resolver = RegionResolver.create({ ipRangesFolder: setup.ipRangesFolder });
  const addresses = new AddressReader(
    setup.ipKeyBytes === null ? null : IpKey.fromBytes(setup.ipKeyBytes),
    setup.binnedFolder,
  );
  const regions = resolver;
  const folders = new ClaimedFolders(setup.mappedFolder);
  tools = {
    binnedFolder: setup.binnedFolder,
    mappedFolder: setup.mappedFolder,
    columns: new AddressColumns((column) => regions.regionOf(addresses.addressOf(column))),
    hasher: RequesterHasher.withKey(setup.requesterKey, (column) => addresses.addressOf(column)),
    folders,
  };
  writer = new OutputWriter(setup.mappedFolder, NO_UNDO, true, folders);
}

port.on("message", (message: ToMapWorker) => {
  if (message.type === "setup") {
    try {
      setUp(message.setup);
    } catch (error) {
      setupError = error;
    }
    return;
  }
  const reply = (result: unknown) =>
    port.postMessage({ type: "done", id: message.id, result } satisfies FromMapWorker);
  try {
    if (setupError !== null) throw setupError;
    if (tools === null || writer === null || resolver === null)
      throw new Error("a map worker got work before its setup");
    if (message.type === "objects") reply(mapObjectItems(tools, message.items));
    else if (message.type === "dandisets") reply(redoDandisetItems(tools, writer, message.items));
    else reply(addressFingerprints(resolver.addresses()));
  } catch (error) {
    port.postMessage({
      type: "failed",
      id: message.id,
      error: errorToMessage(error),
    } satisfies FromMapWorker);
  }
});
