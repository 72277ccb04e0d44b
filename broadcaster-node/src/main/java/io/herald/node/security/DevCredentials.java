package io.herald.node.security;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode's credentials: a JWT secret and an API key with every scope, generated at
 * start when not configured and printed, so a node tried out on a laptop needs no
 * setup and still accepts nobody who has not read its log.
 */
public final class DevCredentials {

  private static final Logger log = LoggerFactory.getLogger(DevCredentials.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private DevCredentials() {}

  /** The settings to run with: as configured, or completed with generated credentials in dev mode. */
  public static AuthSettings complete(AuthSettings settings, String httpBase) {
    if (!settings.devMode()) {
      return settings;
    }
    Optional<String> secret = settings.hs256Secret();
    if (secret.isEmpty() && settings.rs256PublicKeyPem().isEmpty()) {
      secret = Optional.of(randomToken(32));
      log.info("dev mode: generated a JWT secret for this run (set herald.auth.jwt.hs256-secret to keep one)");
    }
    Map<String, Set<ApiKeys.Scope>> keys = new LinkedHashMap<>(settings.apiKeys());
    String commandKey = keys.entrySet().stream()
        .filter(entry -> entry.getValue().contains(ApiKeys.Scope.COMMAND))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
    if (commandKey == null) {
      commandKey = "dev-" + randomToken(18);
      keys.put(commandKey, EnumSet.allOf(ApiKeys.Scope.class));
      log.info("dev mode: generated API key {} with every scope (set HERALD_API_KEY to choose one)", commandKey);
    }
    log.info("dev mode: mint a device token with\n  curl -s -H 'Authorization: Bearer {}' -H 'Content-Type: application/json'"
        + " -d '{\"deviceId\": \"sensor-1\"}' {}/v1/dev/tokens", commandKey, httpBase);
    return settings.with(secret, keys);
  }

  private static String randomToken(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }
}
