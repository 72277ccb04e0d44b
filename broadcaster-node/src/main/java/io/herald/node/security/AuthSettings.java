package io.herald.node.security;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** How devices and backends prove who they are. */
public record AuthSettings(
    Optional<String> hs256Secret,
    Optional<String> rs256PublicKeyPem,
    Optional<String> issuer,
    Optional<String> audience,
    Duration clockSkew,
    Map<String, Set<ApiKeys.Scope>> apiKeys,
    boolean devMode,
    Duration devTokenTtl) {

  public static AuthSettings from(Config config) {
    Map<String, Set<ApiKeys.Scope>> keys = new LinkedHashMap<>();
    for (Config key : config.getConfigList("api-keys")) {
      keys.put(key.getString("key"), key.getStringList("scopes").stream()
          .map(ApiKeys.Scope::of)
          .collect(Collectors.toUnmodifiableSet()));
    }
    String envKey = config.getString("api-key");
    if (!envKey.isBlank()) {
      keys.put(envKey, Set.of(ApiKeys.Scope.values()));
    }
    return new AuthSettings(
        nonBlank(config.getString("jwt.hs256-secret")),
        nonBlank(config.getString("jwt.rs256-public-key")),
        nonBlank(config.getString("jwt.issuer")),
        nonBlank(config.getString("jwt.audience")),
        config.getDuration("jwt.clock-skew"),
        keys,
        config.getBoolean("dev-mode"),
        config.getDuration("dev-token-ttl"));
  }

  private static Optional<String> nonBlank(String value) {
    return value.isBlank() ? Optional.empty() : Optional.of(value);
  }

  /** Settings with this secret and these keys in place of the configured ones. */
  public AuthSettings with(Optional<String> secret, Map<String, Set<ApiKeys.Scope>> keys) {
    return new AuthSettings(secret, rs256PublicKeyPem, issuer, audience, clockSkew, Map.copyOf(keys), devMode, devTokenTtl);
  }

  static List<String> names(Set<ApiKeys.Scope> scopes) {
    return scopes.stream().map(ApiKeys.Scope::configName).sorted().toList();
  }
}
