// `tsroute node install-service`: puts the agent under systemd (the unit and an example config).
import type { Command } from 'commander';
import { CONFIG_PATH, installService, UNIT_PATH } from '../../src/install/service-files.js';
import { action } from '../exit.js';

export function registerNodeService(node: Command): void {
  node
    .command('install-service')
    .description(`write the systemd unit ${UNIT_PATH} and, if absent, an example ${CONFIG_PATH}`)
    .option('--root <dir>', 'write under this folder instead of / (for images and tests)', '/')
    .option('--config <file>', 'the config file the service reads', CONFIG_PATH)
    .addHelpText(
      'after',
      '\nThen edit the config file and:\n  systemctl daemon-reload && systemctl enable --now tsroute-node\n' +
        '\nExample:\n  tsroute node install-service',
    )
    .action(
      action((o: { root: string; config: string }) => {
        const r = installService(o.root, o.config);
        process.stdout.write(
          `wrote ${r.unit}\n${r.configWritten ? `wrote ${r.config} (an example: edit it)` : `kept ${r.config} (exists)`}\n` +
            'next: systemctl daemon-reload && systemctl enable --now tsroute-node\n',
        );
      }),
    );
}
