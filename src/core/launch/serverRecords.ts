import * as path from 'node:path';
import type { Profile } from '../profiles/profileSchema';
import { deepseekConfigDir } from '../util/configDir';
import { readJsonFile, writeJsonFile } from '../util/jsonFile';

/** A server this product started: enough to find it again, follow its log, stop or restart it (no secrets). */
export interface ServerRecord {
  /** `HOST/PROFILE`, e.g. "local/quick-sim-vllm-41234" or "dsd-gpu/r1-awq": what `ps` lists and `stop ID` takes. */
  readonly id: string;
  /** The host spec as launched: "local", an ssh-config alias or user@host[:port] (resolved by resolveTarget). */
  readonly host: string;
  /** The profile as launched (profiles hold no secrets: the HF token and API keys live elsewhere). */
  readonly profile: Profile;
  readonly port: number;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly launchedBy: 'vscode' | 'cli';
}

export const serverId = (host: string, profileName: string): string => `${host}/${profileName}`;

/**
 * The launched-servers file shared by the CLI and the extension (`<config dir>/servers.json`, 0600): which hosts to
 * contact on activation and in `ps`. Every call re-reads the file, so the CLI and a window see each other's launches.
 */
export class ServerRecords {
  constructor(readonly file = path.join(deepseekConfigDir(), 'servers.json')) {}

  list(): ServerRecord[] {
    const v = readJsonFile<unknown>(this.file, []);
    return Array.isArray(v) ? (v as ServerRecord[]).filter((r) => r && typeof r.id === 'string' && typeof r.host === 'string' && r.profile) : [];
  }

  get(id: string): ServerRecord | undefined {
    return this.list().find((r) => r.id === id);
  }

  put(r: ServerRecord): void {
    writeJsonFile(this.file, [...this.list().filter((x) => x.id !== r.id), r]);
  }

  remove(id: string): void {
    const all = this.list();
    if (all.some((r) => r.id === id)) writeJsonFile(this.file, all.filter((r) => r.id !== id));
  }

  /** Hosts with at least one recorded server, in first-launch order. */
  hosts(): string[] {
    return [...new Set(this.list().map((r) => r.host))];
  }
}
