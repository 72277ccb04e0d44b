package io.herald.node.security;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The API keys backends present as bearer tokens, each with the scopes it grants. */
public final class ApiKeys {

  /** What an API key allows. */
  public enum Scope {
    /** Publish and broadcast to topics. */
    PUBLISH,
    /** Read device state and group aggregates. */
    READ_STATE,
    /** Set desired state (command devices) and, in dev mode, mint device tokens. */
    COMMAND;

    /** The scope's name in configuration, such as {@code read-state}. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Scope of(String configName) {
      return valueOf(configName.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  /** What a presented key amounts to. */
  public enum Verdict {
    ALLOWED,
    /** No key, or one this node does not know: 401. */
    UNAUTHENTICATED,
    /** A known key without the scope: 403. */
    FORBIDDEN
  }

  private final Map<String, Set<Scope>> keys;

  public ApiKeys(Map<String, Set<Scope>> keys) {
    this.keys = Map.copyOf(keys);
  }

  public Verdict check(Optional<String> presented, Scope needed) {
    Set<Scope> scopes = presented.map(keys::get).orElse(null);
    if (scopes == null) {
      return Verdict.UNAUTHENTICATED;
    }
    return scopes.contains(needed) ? Verdict.ALLOWED : Verdict.FORBIDDEN;
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }
}
