#!/usr/bin/env node
import { runServiceCli } from "@avskit/runtime";
import { aggregatorService } from "./service.js";

runServiceCli(aggregatorService);
