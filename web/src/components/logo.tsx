/** The Meridian mark: a globe of meridians with a small medical cross, drawn inline (no image request). */

/** The logo at the given pixel size; decorative, so hidden from screen readers. */
export function Logo({ size }: { size: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 64 64" aria-hidden="true" style={{ display: 'inline-block' }}>
      <rect width="64" height="64" rx="14" fill="#1668dc" />
      <circle cx="32" cy="32" r="20" fill="none" stroke="#fff" strokeWidth="3.5" />
      <ellipse cx="32" cy="32" rx="8" ry="20" fill="none" stroke="#fff" strokeWidth="3" />
      <path d="M12 32h40" stroke="#fff" strokeWidth="3" />
      <rect x="41" y="41" width="16" height="16" rx="4" fill="#13c2a3" />
      <path d="M49 44v10M44 49h10" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}
