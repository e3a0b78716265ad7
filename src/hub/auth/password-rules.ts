/** The hub's password length rules as plain data, so the portal's forms check what the hub will check. */

/** Shortest password the hub accepts. */
export const PASSWORD_LENGTH_MIN = 10;
/** Longest password the hub hashes (bounds the work an attacker can make it do). */
export const PASSWORD_LENGTH_MAX = 256;
