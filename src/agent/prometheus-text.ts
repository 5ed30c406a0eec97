// The agent's own metric families and their Prometheus text exposition (format 0.0.4: `# HELP`,
// `# TYPE`, one `name{labels} value` line per series, families apart by a blank line). A few
// maps and a writer, instead of prom-client on the agent's hot path: prom-client is loaded only
// when metrics are served, for Node's process defaults (issue 14, idle RSS; see default-metrics.ts).
// The output is what prom-client wrote for the same families, byte for byte.

export type Labels = Readonly<Record<string, string | number>>;

/** One value per label set; a family with no label names starts as one series at 0. */
abstract class Family {
  protected readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    private readonly labelNames: readonly string[],
  ) {
    if (!labelNames.length) this.series.set('', { labels: {}, value: 0 });
  }

  /** Drops every series (a labelled family: nothing; an unlabelled one: back to 0). */
  reset(): void {
    this.series.clear();
    if (!this.labelNames.length) this.series.set('', { labels: {}, value: 0 });
  }

  protected entry(labels: Labels) {
    for (const k of Object.keys(labels))
      if (!this.labelNames.includes(k)) throw new Error(`${this.name}: unknown label "${k}"`);
    const key = this.labelNames.map((k) => String(labels[k] ?? '')).join('\u0000');
    const known = this.series.get(key);
    if (known) return known;
    const e = { labels, value: 0 };
    this.series.set(key, e);
    return e;
  }

  lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${valueText(s.value)}`);
  }
}

export class Gauge extends Family {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'gauge', labelNames);
  }

  set(value: number): void;
  set(labels: Labels, value: number): void;
  set(a: Labels | number, b?: number): void {
    if (typeof a === 'number') this.entry({}).value = a;
    else this.entry(a).value = b ?? 0;
  }
}

export class Counter extends Family {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames);
  }

  inc(by?: number): void;
  inc(labels: Labels, by?: number): void;
  inc(a: Labels | number = 1, b = 1): void {
    const [labels, by] = typeof a === 'number' ? [{}, a] : [a, b];
    if (by < 0) throw new Error(`${this.name}: a counter only goes up`);
    this.entry(labels).value += by;
  }
}

/** An unlabelled histogram with fixed upper bounds (`le`), as Prometheus expects them: cumulative. */
export class Histogram {
  readonly type = 'histogram';
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) this.counts[i]!++;
  }

  lines(): string[] {
    let cumulative = 0;
    const out = this.buckets.map((le, i) => {
      cumulative += this.counts[i]!;
      return `${this.name}_bucket{le="${le}"} ${cumulative}`;
    });
    out.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    out.push(`${this.name}_sum ${valueText(this.sum)}`, `${this.name}_count ${this.count}`);
    return out;
  }
}

/** A family whose series are read from elsewhere at each scrape (`collect` fills it afresh). */
export class Collected<F extends Gauge | Counter> {
  constructor(
    readonly family: F,
    private readonly collect: (family: F) => void,
  ) {}

  get name(): string {
    return this.family.name;
  }

  lines(): string[] {
    this.family.reset();
    this.collect(this.family);
    return this.family.lines();
  }
}

type Member = Gauge | Counter | Histogram | Collected<Gauge> | Collected<Counter>;

/** The families of one process, in the order they were added; a name is added once. */
export class MetricSet {
  static readonly CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly members = new Map<string, Member>();

  add<M extends Member>(member: M): M {
    if (this.members.has(member.name)) throw new Error(`A metric with the name ${member.name} is already registered`);
    this.members.set(member.name, member);
    return member;
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  /** The exposition text, every family with its HELP and TYPE (also one with no series yet). */
  text(): string {
    const blocks = [...this.members.values()].map((m) => {
      const family = m instanceof Collected ? m.family : m;
      return [
        `# HELP ${family.name} ${escapeHelp(family.help)}`,
        `# TYPE ${family.name} ${family.type}`,
        ...m.lines(),
      ].join('\n');
    });
    return blocks.length ? `${blocks.join('\n\n')}\n` : '';
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Values as Prometheus reads them: `+Inf`, `-Inf`, `Nan` (prom-client's spelling) or the number. */
function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
