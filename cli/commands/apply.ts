// `apply -f`, `delete -f` and `get KIND [NAME]`: any resource kind, from and to YAML/JSON manifests.
import type { Command } from 'commander';
import { NotFoundError, resourceKey } from '../../src/datastore/index.js';
import { type AnyResource, KINDS, type Kind, kindByName, parseResource } from '../../src/model/index.js';
import { type EtcdFlags, withDatastore, withEtcd } from '../etcd-options.js';
import { action, CliError } from '../exit.js';
import { readManifests } from '../manifest-file.js';
import { outputFormat, outputOption, print, renderResources } from '../output.js';

const label = (r: AnyResource) => `${r.kind.toLowerCase()} "${r.metadata.name}"`;

/** Every document is checked before anything is written, so a typo in the third one changes nothing. */
export function parseAll(file: string): AnyResource[] {
  const docs = readManifests(file);
  return docs.map((doc, i) => {
    try {
      return parseResource(doc);
    } catch (err) {
      if (docs.length < 2) throw err;
      throw new CliError(`${file === '-' ? 'stdin' : file} document ${i + 1}: ${(err as Error).message}`);
    }
  });
}

export function kindOrFail(text: string): Kind {
  const info = kindByName(text);
  if (!info) {
    throw new CliError(
      `unknown resource kind "${text}" (known: ${Object.values(KINDS)
        .map((k) => k.plural)
        .join(', ')})`,
    );
  }
  return info.kind;
}

export function registerApply(program: Command): void {
  withEtcd(
    program
      .command('apply')
      .description('create or update resources from a YAML/JSON file (multi-document, - for stdin)')
      .requiredOption('-f, --filename <file>', 'file to read (- for stdin)'),
  )
    .addHelpText('after', '\nExample:\n  tsroute apply -f pools.yaml\n  cat peer.json | tsroute apply -f -')
    .action(
      action(async (o: { filename: string } & EtcdFlags) => {
        const resources = parseAll(o.filename);
        await withDatastore(o, async (ds) => {
          // All or nothing, whatever the number of documents: a refusal of any changes nothing.
          for (const { resource, created } of await ds.applyAll(resources)) {
            print(`${label(resource)} ${created ? 'created' : 'configured'}`);
          }
        });
      }),
    );
  withEtcd(
    program
      .command('delete')
      .description('delete the resources named in a file')
      .requiredOption('-f, --filename <file>', 'file to read (- for stdin)')
      .option('--force', 'also delete an IP pool whose addresses are in use (they are dropped with its blocks)')
      .option('--ignore-not-found', 'resources already gone are not an error (so the command can be run again)'),
  )
    .addHelpText('after', '\nExample:\n  tsroute delete -f pools.yaml --ignore-not-found')
    .action(
      action(async (o: { filename: string; force?: boolean; ignoreNotFound?: boolean } & EtcdFlags) => {
        // Filters go last: a filter still named by a peer cannot be deleted, and the file may
        // delete that peer too.
        const resources = parseAll(o.filename).sort(
          (a, b) => Number(a.kind === 'BGPFilter') - Number(b.kind === 'BGPFilter'),
        );
        await withDatastore(o, async (ds) => {
          // Missing ones are found before anything is deleted: without --ignore-not-found, nothing is.
          const present = await ds.kv.getMany(resources.map((r) => resourceKey(r.kind, r.metadata.name)));
          const missing = resources.filter((_, i) => !present[i]);
          if (missing.length && !o.ignoreNotFound) {
            throw new CliError(
              `${missing.map(label).join(', ')} not found; nothing deleted (--ignore-not-found deletes the rest)`,
            );
          }
          for (const r of resources.filter((_, i) => present[i])) {
            const res = await ds.delete(r.kind, r.metadata.name, { force: o.force }).catch((err) => {
              if (o.ignoreNotFound && err instanceof NotFoundError) return undefined; // gone meanwhile
              throw err;
            });
            if (!res) continue;
            for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
            print(`${label(r)} deleted`);
          }
        });
      }),
    );
  withEtcd(
    program
      .command('get')
      .description('show resources of one kind, or one by name')
      .argument(
        '<kind>',
        `one of ${Object.values(KINDS)
          .map((k) => k.plural)
          .join(', ')}`,
      )
      .argument('[name]', 'resource name')
      .addOption(outputOption()),
  )
    .addHelpText('after', '\nExample:\n  tsroute get ippools -o yaml > pools.yaml\n  tsroute get bgppeer tor-1 -o json')
    .action(
      action(async (kindText: string, name: string | undefined, o: { output?: string } & EtcdFlags) => {
        const kind = kindOrFail(kindText);
        const format = outputFormat(o.output);
        await withDatastore(o, async (ds) => {
          const items = name ? [await ds.mustGet(kind, name)] : await ds.list(kind);
          print(renderResources(kind, items, format, !!name));
        });
      }),
    );
}
