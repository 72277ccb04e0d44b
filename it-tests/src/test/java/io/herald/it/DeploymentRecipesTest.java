package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
