package io.herald.node.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Verifies the signed tokens (JWT) devices connect with: HS256 with the configured secret
 * or RS256 with the configured public key, an expiry, and a subject that is the device id.
 * Optional claims: {@code groups}, and the topic patterns {@code subscribe} and
 * {@code publish} (see {@link DeviceIdentity}).
 */
public final class DeviceTokens {

  /** What a token check found. */
  public sealed interface Check {}

  public record Accepted(DeviceIdentity identity) implements Check {}

  public record Refused(String reason) implements Check {}

  private static final int MIN_SECRET_BYTES = 32;

  private final Optional<MACVerifier> hs256;
  private final Optional<RSASSAVerifier> rs256;
  private final AuthSettings settings;
  private final Clock clock;

  public DeviceTokens(AuthSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.hs256 = settings.hs256Secret().map(DeviceTokens::macVerifier);
    this.rs256 = settings.rs256PublicKeyPem().map(pem -> new RSASSAVerifier(rsaPublicKey(pem)));
    if (hs256.isEmpty() && rs256.isEmpty()) {
      throw new IllegalArgumentException("no way to verify device tokens: set herald.auth.jwt.hs256-secret or"
          + " herald.auth.jwt.rs256-public-key, or turn on herald.auth.dev-mode");
    }
  }

  public Check verify(String token) {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return new Refused("token is not a signed JWT");
    }
    JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
    Optional<? extends JWSVerifier> verifier = JWSAlgorithm.HS256.equals(algorithm) ? hs256
        : JWSAlgorithm.RS256.equals(algorithm) ? rs256 : Optional.empty();
    if (verifier.isEmpty()) {
      return new Refused("token algorithm " + algorithm + " is not accepted here");
    }
    try {
      if (!jwt.verify(verifier.get())) {
        return new Refused("token signature is not valid");
      }
    } catch (JOSEException e) {
      return new Refused("token signature cannot be checked: " + e.getMessage());
    }
    return checkClaims(claims);
  }

  private Check checkClaims(JWTClaimsSet claims) {
    Instant now = clock.instant();
    Duration skew = settings.clockSkew();
    if (claims.getExpirationTime() == null) {
      return new Refused("token has no expiry (exp)");
    }
    if (claims.getExpirationTime().toInstant().plus(skew).isBefore(now)) {
      return new Refused("token expired at " + claims.getExpirationTime().toInstant());
    }
    if (claims.getNotBeforeTime() != null && claims.getNotBeforeTime().toInstant().minus(skew).isAfter(now)) {
      return new Refused("token is not valid before " + claims.getNotBeforeTime().toInstant());
    }
    if (settings.issuer().isPresent() && !settings.issuer().get().equals(claims.getIssuer())) {
      return new Refused("token issuer is not " + settings.issuer().get());
    }
    if (settings.audience().isPresent()
        && (claims.getAudience() == null || !claims.getAudience().contains(settings.audience().get()))) {
      return new Refused("token audience does not include " + settings.audience().get());
    }
    String subject = claims.getSubject();
    if (!DeviceIdentity.isValidDeviceId(subject)) {
      return new Refused("token subject must be a device id: " + DeviceIdentity.DEVICE_ID_RULE);
    }
    try {
      return new Accepted(new DeviceIdentity(subject,
          Optional.ofNullable(claims.getStringListClaim("groups")).orElse(List.of()),
          patterns(claims.getStringListClaim("subscribe")),
          patterns(claims.getStringListClaim("publish"))));
    } catch (ParseException | IllegalArgumentException e) {
      return new Refused("token claims are malformed: " + e.getMessage());
    }
  }

  /** Mints an HS256 device token, for the dev profile and for tests. */
  public static String mintHs256(String secret, DeviceIdentity identity, Duration ttl, Clock clock) {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .subject(identity.deviceId())
        .issueTime(Date.from(clock.instant()))
        .expirationTime(Date.from(clock.instant().plus(ttl)))
        .claim("groups", identity.groups());
    identity.subscribe().ifPresent(patterns -> claims.claim("subscribe", strings(patterns)));
    identity.publish().ifPresent(patterns -> claims.claim("publish", strings(patterns)));
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("cannot sign with this secret: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  private static Optional<List<TopicPattern>> patterns(List<String> claim) {
    return Optional.ofNullable(claim).map(list -> list.stream().map(TopicPattern::new).toList());
  }

  private static List<String> strings(List<TopicPattern> patterns) {
    return patterns.stream().map(TopicPattern::pattern).toList();
  }

  private static MACVerifier macVerifier(String secret) {
    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("herald.auth.jwt.hs256-secret must be at least " + MIN_SECRET_BYTES + " bytes");
    }
    try {
      return new MACVerifier(bytes);
    } catch (JOSEException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static RSAPublicKey rsaPublicKey(String pem) {
    String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    try {
      return (RSAPublicKey) KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("herald.auth.jwt.rs256-public-key is not a PEM RSA public key", e);
    }
  }
}
