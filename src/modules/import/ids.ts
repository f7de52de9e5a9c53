/**
 * What an import decided for each tracking id, in 13 bytes an id whatever the ids are: a
 * 52-bit hash of the id (open addressing), its state and the position of its first row.
 * A million links take about 26 MB at the table's fullest, where a Map of the ids and
 * their row names took over 300 MB.
 */
export type LinkState = "new" | "already" | "skipped";
const STATES: LinkState[] = ["new", "already", "skipped"];
const MASK = (1n << 52n) - 1n;

export class IdTable {
  private keys = new Float64Array(1024);
  private states = new Uint8Array(1024);
  private rows = new Uint32Array(1024);
  private used = 0;

  private static hash(id: string): number {
    const h = Number(BigInt(Bun.hash.wyhash(id)) & MASK);
    return h === 0 ? 1 : h;
  }

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = key % this.keys.length;
    while (this.keys[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  get(id: string): { state: LinkState; row: number } | undefined {
    const i = this.slot(IdTable.hash(id));
    return this.keys[i] === 0 ? undefined : { state: STATES[this.states[i]!]!, row: this.rows[i]! };
  }

  /** Sets the id's state; its row only the first time. */
  set(id: string, state: LinkState, row: number): void {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const key = IdTable.hash(id);
    const i = this.slot(key);
    if (this.keys[i] === 0) {
      this.keys[i] = key;
      this.rows[i] = row;
      this.used++;
    }
    this.states[i] = STATES.indexOf(state);
  }

  count(state: LinkState): number {
    const s = STATES.indexOf(state);
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== 0 && this.states[i] === s) n++;
    return n;
  }

  private grow(): void {
    const { keys, states, rows } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.states = new Uint8Array(keys.length * 2);
    this.rows = new Uint32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      const j = this.slot(keys[i]!);
      this.keys[j] = keys[i]!;
      this.states[j] = states[i]!;
      this.rows[j] = rows[i]!;
    }
  }
}
