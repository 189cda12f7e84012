#!/usr/bin/env node
import { runServiceCli } from "@avskit/runtime";
import { syncService } from "./service.js";

runServiceCli(syncService);
