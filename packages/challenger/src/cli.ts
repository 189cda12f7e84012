#!/usr/bin/env node
import { runServiceCli } from "@avskit/runtime";
import { challengerService } from "./service.js";

runServiceCli(challengerService);
