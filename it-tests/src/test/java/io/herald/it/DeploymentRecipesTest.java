package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The deployment recipes parse and hang together; running them needs a cluster of machines. */
class DeploymentRecipesTest {

  private static final Path ROOT = Path.of("..");

  @Test
  @SuppressWarnings("unchecked")
  void theKubernetesManifestsParseAndProbeTheManagementHealthChecks() throws IOException {
    List<Map<String, Object>> documents = new ArrayList<>();
    for (Object document : new Yaml().loadAll(Files.readString(ROOT.resolve("deploy/kubernetes/herald.yaml")))) {
      if (document != null) {
        documents.add((Map<String, Object>) document);
      }
    }
    Map<String, Map<String, Object>> byKind = documents.stream()
        .collect(Collectors.toMap(d -> (String) d.get("kind"), d -> d));
    assertEquals(List.of("Deployment", "Role", "RoleBinding", "Service", "ServiceAccount"),
        byKind.keySet().stream().sorted().toList());

    Map<String, Object> template = (Map<String, Object>) ((Map<String, Object>)
        byKind.get("Deployment").get("spec")).get("template");
    Map<String, Object> pod = (Map<String, Object>) template.get("spec");
    Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
    Map<String, Object> annotations = (Map<String, Object>) ((Map<String, Object>) template.get("metadata"))
        .get("annotations");
    Object metricsPort = ((List<Map<String, Object>>) container.get("ports")).stream()
        .filter(port -> "metrics".equals(port.get("name"))).findFirst().orElseThrow().get("containerPort");
    assertEquals("true", annotations.get("prometheus.io/scrape"));
    assertEquals(String.valueOf(metricsPort), annotations.get("prometheus.io/port"), "Prometheus scrapes the metrics port");
    assertEquals("/ready", path(container, "readinessProbe"));
    assertEquals("/alive", path(container, "livenessProbe"));
    List<Map<String, Object>> env = (List<Map<String, Object>>) container.get("env");
    assertTrue(env.stream().anyMatch(e -> "HERALD_PROFILE".equals(e.get("name")) && "kubernetes".equals(e.get("value"))));
    List<Map<String, Object>> rules = (List<Map<String, Object>>) byKind.get("Role").get("rules");
    assertTrue(((List<String>) rules.get(0).get("resources")).contains("pods"), "bootstrap lists pods");
  }

  @Test
  void everyAlertingRuleSaysHowBadItIsAndWhatItMeans() throws IOException {
    List<Map<String, Object>> rules = alertingRules();
    assertFalse(rules.isEmpty());
    for (Map<String, Object> rule : rules) {
      String name = String.valueOf(rule.get("alert"));
      assertTrue(name.startsWith("Herald"), name);
      assertTrue(String.valueOf(rule.get("expr")).contains("herald_"), name + " watches a Herald metric");
      assertTrue(List.of("critical", "warning", "info").contains(((Map<?, ?>) rule.get("labels")).get("severity")), name);
      Map<?, ?> annotations = (Map<?, ?>) rule.get("annotations");
      assertFalse(String.valueOf(annotations.get("summary")).isBlank(), name);
      assertFalse(String.valueOf(annotations.get("description")).isBlank(), name);
    }
  }

  /**
   * Prometheus reads the rules, and each alert fires on the series it is meant for and stays silent on the
   * others ({@code herald-alerts.test.yaml}). Needs {@code promtool}, from Debian's {@code prometheus} package.
   */
  @Test
  void theAlertingRulesLoadInPrometheusAndFireWhenTheyShould() throws Exception {
    assertPromtoolPasses("check", "rules", "herald-alerts.yaml");
    assertPromtoolPasses("test", "rules", "herald-alerts.test.yaml");
  }

  private static void assertPromtoolPasses(String... arguments) throws Exception {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(arguments));
    Path output = Files.createTempFile("promtool", ".log");
    try {
      Process promtool;
      try {
        promtool = new ProcessBuilder(command).directory(ROOT.resolve("deploy/prometheus").toFile())
            .redirectErrorStream(true).redirectOutput(output.toFile()).start();
      } catch (IOException notInstalled) {
        throw new AssertionError("promtool is not on the PATH: install Debian's prometheus package", notInstalled);
      }
      if (!promtool.waitFor(30, TimeUnit.SECONDS)) {
        promtool.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in 30 s");
      }
      assertEquals(0, promtool.exitValue(), Files.readString(output));
    } finally {
      Files.delete(output);
    }
  }

  /** The node's metrics (Herald's and the JVM's) the shipped alerting rules name, as Prometheus exports them. */
  static Set<String> metricsNamedByTheAlertingRules() throws IOException {
    Set<String> metrics = new TreeSet<>();
    for (Map<String, Object> rule : alertingRules()) {
      Matcher names = Pattern.compile("\\b(herald|jvm)_[a-z_]+").matcher(String.valueOf(rule.get("expr")));
      while (names.find()) {
        metrics.add(names.group());
      }
    }
    return metrics;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> alertingRules() throws IOException {
    Map<String, Object> file = new Yaml().load(Files.readString(ROOT.resolve("deploy/prometheus/herald-alerts.yaml")));
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
      rules.addAll((List<Map<String, Object>>) group.get("rules"));
    }
    return rules;
  }

  @Test
  void theLocalClusterScriptIsValidBash() throws Exception {
    Process check = new ProcessBuilder("bash", "-n", ROOT.resolve("bin/herald-local-cluster").toString())
        .redirectErrorStream(true).start();
    assertTrue(check.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, check.exitValue(), new String(check.getInputStream().readAllBytes()));
  }

  @SuppressWarnings("unchecked")
  private static Object path(Map<String, Object> container, String probe) {
    return ((Map<String, Object>) ((Map<String, Object>) container.get(probe)).get("httpGet")).get("path");
  }
}
