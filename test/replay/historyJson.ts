/**
 * Temporal's JSON form of a workflow history (what `temporal workflow show --output json` and the Web
 * UI's download write), to and from the SDK's History object.
 *
 * Not `historyToJSON` / `historyFromJSON` from @temporalio/common/lib/proto-utils: in this dependency
 * tree @temporalio/common, /proto and /worker each get a private copy of protobufjs 8 (the hoisted
 * one is grpc's protobufjs 7), and protojson's `instanceof Type` check fails across the copies, so
 * both throw "type must be a Type" (as would `Worker.runReplayHistory` given a JSON history). Here the
 * conversion uses the copy of protobufjs that @temporalio/proto's own types come from.
 */
import { createRequire } from 'node:module';
import { temporal } from '@temporalio/proto';

export type History = temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const HistoryType = temporal.api.history.v1.History;

/** History → plain JSON value (int64 as strings, bytes as base64, enums by name, instants as RFC 3339). */
export function historyToJson(history: History): unknown {
  return protojson.toJson(HistoryType, HistoryType.fromObject(history));
}

/** Plain JSON value → History; fields a newer server added are ignored. */
export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  return protojson.fromJson(HistoryType, json, { ignoreUnknownFields: true }) as History;
}
