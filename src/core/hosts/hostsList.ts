import * as path from 'node:path';
import { deepseekConfigDir } from '../util/configDir';
import { readJsonFile, writeJsonFile } from '../util/jsonFile';

/** One host the user added: `spec` as resolveTarget takes it ("local", an ssh-config alias, user@host[:port]). */
export interface SharedHost { readonly spec: string; readonly name?: string }

/**
 * The hosts list shared by the extension (Add Host / Import Hosts write it) and the CLI (`ps` without --host visits
 * every host in it): `<config dir>/hosts.json`, a JSON array of {spec, name?}. No secrets: keys and passwords stay in
 * the SSH agent / SecretStorage.
 */
export class HostsList {
  constructor(readonly file = path.join(deepseekConfigDir(), 'hosts.json')) {}

  list(): SharedHost[] {
    const v = readJsonFile<unknown>(this.file, []);
    return Array.isArray(v) ? (v as SharedHost[]).filter((h) => h && typeof h.spec === 'string' && h.spec.length > 0) : [];
  }

  add(h: SharedHost): void {
    writeJsonFile(this.file, [...this.list().filter((x) => x.spec !== h.spec), h]);
  }

  remove(spec: string): void {
    const all = this.list();
    if (all.some((h) => h.spec === spec)) writeJsonFile(this.file, all.filter((h) => h.spec !== spec));
  }
}
