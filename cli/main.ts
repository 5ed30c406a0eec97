#!/usr/bin/env node
// Entry point of the `tsroute` bin.
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
