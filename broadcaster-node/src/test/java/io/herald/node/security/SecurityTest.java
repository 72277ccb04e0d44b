package io.herald.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SecurityTest {

  private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";
  private final Clock clock = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);

  @Test
  void topicPatternsMatchLikeMqttFilters() {
    assertTrue(new TopicPattern("sensors/+/temp").matches("sensors/room-1/temp"));
    assertFalse(new TopicPattern("sensors/+/temp").matches("sensors/room-1/humidity"));
    assertFalse(new TopicPattern("sensors/+").matches("sensors/a/b"));
    assertTrue(new TopicPattern("alerts/#").matches("alerts"));
    assertTrue(new TopicPattern("alerts/#").matches("alerts/fire/floor-2"));
    assertTrue(new TopicPattern("#").matches("anything/at/all"));
    assertTrue(new TopicPattern("$group/g1").matches("$group/g1"));
    assertThrows(IllegalArgumentException.class, () -> new TopicPattern("a/#/b"));
    assertThrows(IllegalArgumentException.class, () -> new TopicPattern("a//b"));
  }

  @Test
  void withoutPatternsADeviceUsesEveryTopicButTheSystemsExceptItsOwn() {
    DeviceIdentity open = new DeviceIdentity("d1", List.of(), Optional.empty(), Optional.empty());
    assertTrue(open.maySubscribe("any/topic"));
    assertTrue(open.maySubscribe("$device/d1/state"));
    assertFalse(open.maySubscribe("$device/d2/state"));
    assertFalse(open.maySubscribe("$group/g1"));
    assertTrue(open.mayPublish("any/topic"));
  }

  @Test
  void patternsLimitWhatADeviceMayUse() {
    DeviceIdentity limited = new DeviceIdentity("d1", List.of("g1"),
        Optional.of(List.of(new TopicPattern("$group/g1"), new TopicPattern("fleet/#"))),
        Optional.of(List.of(new TopicPattern("telemetry/d1/#"))));
    assertTrue(limited.maySubscribe("$group/g1"));
    assertTrue(limited.maySubscribe("fleet/news"));
    assertFalse(limited.maySubscribe("other"));
    assertTrue(limited.mayPublish("telemetry/d1/temp"));
    assertFalse(limited.mayPublish("telemetry/d2/temp"));
  }

  @Test
  void aMintedTokenVerifiesToTheSameIdentity() {
    DeviceIdentity identity = new DeviceIdentity("d1", List.of("g1", "g2"),
        Optional.of(List.of(new TopicPattern("$group/+"))), Optional.empty());
    String token = DeviceTokens.mintHs256(SECRET, identity, Duration.ofHours(1), clock);

    DeviceTokens.Check check = tokens(SECRET, Optional.empty()).verify(token);

    assertEquals(identity, assertInstanceOf(DeviceTokens.Accepted.class, check).identity());
  }

  @Test
  void badTokensAreRefusedWithAReason() {
    DeviceIdentity identity = new DeviceIdentity("d1", List.of(), Optional.empty(), Optional.empty());
    DeviceTokens tokens = tokens(SECRET, Optional.empty());

    assertRefused(tokens.verify("not.a.token"), "not a signed JWT");
    assertRefused(tokens.verify(DeviceTokens.mintHs256("another-secret-of-at-least-32-bytes!", identity,
        Duration.ofHours(1), clock)), "signature");
    assertRefused(tokens.verify(DeviceTokens.mintHs256(SECRET, identity, Duration.ofHours(-1), clock)), "expired");
  }

  @Test
  void rs256TokensVerifyWithTheConfiguredPublicKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----";
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), new JWTClaimsSet.Builder()
        .subject("gateway-7").expirationTime(Date.from(clock.instant().plusSeconds(60))).build());
    jwt.sign(new RSASSASigner(pair.getPrivate()));

    DeviceTokens.Check check = tokens(SECRET, Optional.of(pem)).verify(jwt.serialize());

    assertEquals("gateway-7", assertInstanceOf(DeviceTokens.Accepted.class, check).identity().deviceId());
  }

  @Test
  void apiKeysGrantTheirScopesOnly() {
    ApiKeys keys = new ApiKeys(Map.of("k1", Set.of(ApiKeys.Scope.PUBLISH)));
    assertEquals(ApiKeys.Verdict.ALLOWED, keys.check(Optional.of("k1"), ApiKeys.Scope.PUBLISH));
    assertEquals(ApiKeys.Verdict.FORBIDDEN, keys.check(Optional.of("k1"), ApiKeys.Scope.COMMAND));
    assertEquals(ApiKeys.Verdict.UNAUTHENTICATED, keys.check(Optional.of("nope"), ApiKeys.Scope.PUBLISH));
    assertEquals(ApiKeys.Verdict.UNAUTHENTICATED, keys.check(Optional.empty(), ApiKeys.Scope.PUBLISH));
  }

  private DeviceTokens tokens(String secret, Optional<String> publicKey) {
    return new DeviceTokens(new AuthSettings(Optional.of(secret), publicKey, Optional.empty(), Optional.empty(),
        Duration.ofSeconds(30), Map.of(), false, Duration.ofHours(1)), clock);
  }

  private static void assertRefused(DeviceTokens.Check check, String reasonPart) {
    String reason = assertInstanceOf(DeviceTokens.Refused.class, check).reason();
    assertTrue(reason.contains(reasonPart), reason);
  }
}
