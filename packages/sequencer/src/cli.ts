#!/usr/bin/env node
import { runServiceCli } from "@avskit/runtime";
import { sequencerService } from "./service.js";

runServiceCli(sequencerService);
