// Errors that end a command. Each carries the exit code the CLI leaves with, so the mapping
// from failure to exit code lives next to the failure, not in a switch in the CLI.
import { ExitCode } from './exit-codes.js';

export class AgentError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.unexpected,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends AgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.usage, options);
  }
}

export class NotEnrolledError extends AgentError {
  constructor(stateDir: string) {
    super(
      `not enrolled: no credentials in ${stateDir}; run vcio-agent enroll --url URL --token TOKEN`,
      ExitCode.notEnrolled,
    );
  }
}

export class UnreachableError extends AgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.unreachable, options);
  }
}

/** The collector answered, and retrying the same request cannot change its answer. */
export class RejectedError extends AgentError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, ExitCode.rejected);
  }
}

export class StateDirError extends AgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.stateDir, options);
  }
}

export class MachineIdError extends AgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.machineId, options);
  }
}

/** A message for any thrown value, for logs and report error entries. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
