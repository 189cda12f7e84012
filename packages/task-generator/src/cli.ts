#!/usr/bin/env node
import { runServiceCli } from "@avskit/runtime";
import { taskGeneratorService } from "./service.js";

runServiceCli(taskGeneratorService);
