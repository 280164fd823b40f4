// Catches what a page throws while rendering, so one failure does not blank the whole app. A failed dynamic import
// is the usual one after a release: this tab still runs the old build, whose lazily loaded page chunks the new
// service worker (and the server) no longer have. Then the page says a new version is available, with a Reload
// button (never an automatic reload: a deployment that keeps failing would loop).
import { Component, type ErrorInfo, type ReactNode } from "react";
import { Banner, Button } from "./ui";

/** Whether `error` is a lazily loaded chunk that could not be fetched (wording differs by browser and bundler). */
export function isChunkLoadError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const e = error as { name?: unknown; message?: unknown };
  if (e.name === "ChunkLoadError") return true;
  const message = typeof e.message === "string" ? e.message : "";
  return /Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed|Unable to preload CSS|Loading (CSS )?chunk [\w-]+ failed/i.test(
    message,
  );
}

type Props = { children: ReactNode; /** A change (e.g. the route) clears a caught error. */ resetKey?: unknown };
type State = { error: unknown; key: unknown; caught: boolean };

export default class RouteErrorBoundary extends Component<Props, State> {
  state: State = { error: null, key: this.props.resetKey, caught: false };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error, caught: true };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    // Navigating elsewhere leaves the broken page behind.
    if (props.resetKey !== state.key) return { key: props.resetKey, error: null, caught: false };
    return null;
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("The page failed to render:", error, info.componentStack);
  }

  private reload = () => {
    window.location.reload();
  };

  render(): ReactNode {
    if (!this.state.caught) return this.props.children;
    const error = this.state.error;
    if (isChunkLoadError(error)) {
      return (
        <Banner tone="info" testId="app-update" action={<Button onClick={this.reload}>Reload</Button>}>
          A new version of Disfruta is available. Reload the page to use it.
        </Banner>
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return (
      <Banner tone="error" testId="page-error" action={<Button onClick={this.reload}>Reload</Button>}>
        This page failed: {message}
      </Banner>
    );
  }
}
