package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.testkit.FakeModelServer;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromedriver; `.ci/run`
 * installs them). Never skipped: without the browser these tests fail and say how to install
 * it. Screenshots go to web/target/screenshots/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserTest {
    static final String XSS = "<script>alert(1)</script><b>bold</b> <img src=x onerror=alert(2)> What is cross-site scripting?";
    static final Path SHOTS = Path.of("target", "screenshots");
    Dash dash;
    FakeModelServer fast;
    FakeModelServer slow;
    WebDriver driver;
    String finished;
    String cached;
    String running;
    String exploded;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        Path chromium = Path.of(System.getProperty("weft.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("weft.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            fail("the browser tests need Chromium and its driver at " + chromium + " and " + chromedriver
                    + ": install them with `apt-get install -y chromium chromium-driver` (.ci/run does), or point to them with"
                    + " -Dweft.chromium=... -Dweft.chromedriver=...");
        }
        Files.createDirectories(SHOTS);
        fast = FakeModelServer.start().answer("Topic: xss-topic", XSS);
        slow = FakeModelServer.start().latency(150);
        dash = Dash.start(dir);
        Dash.writeTopics(dash.folder.resolve("qa/data/topics.jsonl"), 30, "xss-topic");
        Dash.writeTopics(dash.folder.resolve("qa/data/slow.jsonl"), 300, null, "slow ");
        var options = Dash.options(fast.baseUrl(), Map.of(Dash.KEY_ENV, Dash.SECRET));
        finished = dash.runLikeCli(dash.workflow(), options).runId();
        cached = dash.runLikeCli(dash.workflow(), options.withLimit(3L)).runId();
        exploded = dash.runLikeCli(dash.explodeWorkflow(fast), dev.weft.run.RunOptions.defaults()).runId();
        running = dash.startRun(Map.of("workflow", dash.workflow().toString(), "source", "data/slow.jsonl", "concurrency", 2,
                "model", List.of("writer.base_url=" + slow.baseUrl(), "critic.base_url=" + slow.baseUrl())));

        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium.toString());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")), "--window-size=1440,1100");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    void tearDown() {
        if (driver != null) driver.quit();
        if (dash != null) {
            dash.post("/api/runs/" + running + "/cancel", Map.of());
            dash.close();
        }
        if (fast != null) fast.close();
        if (slow != null) slow.close();
    }

    private void open(String path) {
        driver.get(dash.base() + path);
    }

    private WebDriverWait waitUpTo(long seconds) {
        // Live pages draw their tables again as they refresh: an element found a moment ago may be gone; look again.
        return (WebDriverWait) new WebDriverWait(driver, Duration.ofSeconds(seconds), Duration.ofMillis(100))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    private WebElement await(By by) {
        return waitUpTo(20).until(d -> {
            List<WebElement> found = d.findElements(by);
            return found.isEmpty() ? null : found.get(0);
        });
    }

    private void awaitText(By by, String text) {
        waitUpTo(30).until(d -> d.findElements(by).stream().anyMatch(e -> e.getText().contains(text)));
    }

    /** A screenshot of the whole page (the window grows to the page's height). */
    private void shot(String name) throws IOException {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        long h = ((Number) js.executeScript("return Math.min(4000, document.documentElement.scrollHeight)")).longValue();
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1440, (int) Math.max(900, h + 120)));
        js.executeScript("window.scrollTo(0, 0)");
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1440, 1100));
    }

    private void noAlert() {
        assertThrows(NoAlertPresentException.class, () -> driver.switchTo().alert(), "a script from a model's answer ran");
    }

    @Test
    void theRunsPageListsAFinishedAndARunningRunAndTheRunningOneUpdatesWithoutReload() throws Exception {
        open("/");
        WebElement done = await(By.cssSelector("tr[data-run='" + finished + "']"));
        assertTrue(done.findElement(By.cssSelector(".status")).getText().contains("completed"));
        WebElement live = await(By.cssSelector("tr[data-run='" + running + "']"));
        assertTrue(live.findElement(By.cssSelector(".status")).getText().contains("running"), live.getText());
        ((JavascriptExecutor) driver).executeScript("window.__sameDocument = 'yes'");
        String before = live.findElement(By.cssSelector(".finished")).getText();
        waitUpTo(30).until(d -> {
            String now = d.findElement(By.cssSelector("tr[data-run='" + running + "'] .finished")).getText();
            return !now.equals(before) ? now : null;
        });
        assertEquals("yes", ((JavascriptExecutor) driver).executeScript("return window.__sameDocument"), "the page was not reloaded");
        shot("runs");
        // the status filter narrows the list
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("filter-status"))).selectByValue("completed");
        waitUpTo(10).until(d -> d.findElements(By.cssSelector("tr[data-run='" + running + "']")).isEmpty());
        assertFalse(driver.findElements(By.cssSelector("tr[data-run='" + finished + "']")).isEmpty());
    }

    @Test
    void theRunPageDrawsTheGraphWithCounts() throws Exception {
        open("/runs/" + finished);
        awaitText(By.cssSelector("svg.graph g.node[data-node='question'] text.counts"), "visits 30");
        WebElement grade = driver.findElement(By.cssSelector("svg.graph g.node[data-node='grade']"));
        assertTrue(grade.getText().contains("hits 0") && grade.getText().contains("p95"), grade.getText());
        List<String> labels = driver.findElements(By.cssSelector("svg.graph text.elabel")).stream().map(WebElement::getText).toList();
        assertTrue(labels.contains("when grade.score < 7 · max 2"), labels.toString());
        assertTrue(labels.contains("otherwise"), labels.toString());
        assertEquals(7, driver.findElements(By.cssSelector("svg.graph g.node")).size(), "five nodes, START and END");
        assertTrue(driver.findElements(By.cssSelector("svg.graph path.edge")).size() >= 7);
        awaitText(By.cssSelector("#nodes-body tr[data-node='question']"), "30");
        awaitText(By.id("scores"), "grade.score");
        await(By.cssSelector("#records-body tr[data-seq='0']"));
        assertTrue(driver.findElement(By.id("run-title")).getText().contains("completed"));
        driver.findElement(By.id("measure")).click();
        awaitText(By.id("quality-table"), "answer");
        shot("run-finished");

        // a running run: in-flight counts on the graph, and the counts move without a reload
        open("/runs/" + running);
        waitUpTo(30).until(d -> d.findElements(By.cssSelector("svg.graph tspan.hot")).size() > 0);
        String visits = driver.findElement(By.cssSelector("svg.graph g.node[data-node='question'] text.counts")).getText();
        waitUpTo(30).until(d -> !d.findElement(By.cssSelector("svg.graph g.node[data-node='question'] text.counts")).getText().equals(visits));
        assertTrue(driver.findElement(By.id("cancel")).isEnabled());
        shot("run-live");
    }

    @Test
    void aRecordPageShowsTheWholeTrace() throws Exception {
        open("/runs/" + finished + "/records/1");
        await(By.cssSelector("#trace .step"));
        List<WebElement> steps = driver.findElements(By.cssSelector("#trace .step"));
        assertTrue(steps.size() >= 4, "question, answer, grade, ...: " + steps.size());
        String first = steps.get(0).getText();
        assertTrue(first.contains("1. question") && first.contains("model call"), first);
        assertTrue(first.toUpperCase().contains("SYSTEM PROMPT") && first.contains("hard exam question"), first);
        assertTrue(first.toUpperCase().contains("USER PROMPT") && first.contains("Topic: "), first);
        assertTrue(first.toUpperCase().contains("RESPONSE"), first);
        assertTrue(first.matches("(?s).*\\d+ in / \\d+ out tokens.*"), "tokens: " + first);
        assertTrue(first.matches("(?s).*(\\d+ ms|\\d+\\.\\d+ s).*"), "latency: " + first); // seconds on a loaded machine
        assertTrue(first.contains("→ answer"), "the edge taken: " + first);
        WebElement grade = driver.findElement(By.cssSelector("#trace .step[data-node='grade']"));
        assertTrue(grade.getText().toUpperCase().contains("JUDGE VERDICT") && grade.getText().contains("score"), grade.getText());
        assertTrue(grade.getText().contains("because grade.score < 7 held") || grade.getText().contains("otherwise"), grade.getText());
        assertFalse(driver.findElement(By.id("state")).getText().isEmpty());
        shot("record");

        open("/runs/" + cached + "/records/1");
        await(By.cssSelector("#trace .step"));
        assertTrue(driver.findElement(By.cssSelector("#trace .step")).getText().contains("cache hit"));
        shot("record-cached");
    }

    @Test
    void lineageLinksAChildToItsParentAndListsAParentsChildren() throws Exception {
        open("/runs/" + exploded + "/records/0/1");
        WebElement parent = await(By.cssSelector("#lineage-parent a"));
        assertEquals("t0", parent.getText());
        assertTrue(parent.getAttribute("href").endsWith("/runs/" + exploded + "/records/0"), parent.getAttribute("href"));
        assertTrue(driver.findElement(By.id("record-id")).getText().contains("t0/1"));
        assertTrue(driver.findElement(By.id("parent-link")).getAttribute("href").endsWith("/records/0"));
        shot("record-child");

        parent.click();
        await(By.cssSelector("#lineage-children tr"));
        List<WebElement> children = driver.findElements(By.cssSelector("#lineage-children tr"));
        assertEquals(List.of("0/0", "0/1", "0/2"), children.stream().map(e -> e.getAttribute("data-key")).toList());
        assertTrue(children.get(2).getText().contains("filtered") && children.get(2).getText().contains("duplicate of t0/0"),
                children.get(2).getText());
        assertTrue(driver.findElement(By.id("trace")).getText().contains("fanned out here into 3 children"));
        shot("record-parent");

        open("/runs/" + exploded);
        // The table is drawn again as the page refreshes: look the rows up afresh each time.
        awaitText(By.cssSelector("#records-body tr.child[data-key='0/2']"), "t0/2");
        awaitText(By.cssSelector("#records-body tr[data-key='0']"), "3 children");
        noAlert();
    }

    @Test
    void aModelsHtmlIsShownAsText() throws Exception {
        open("/runs/" + finished + "/records/0");
        WebElement response = await(By.cssSelector("#trace .step[data-node='question'] pre.response"));
        assertEquals(XSS, response.getText());
        noAlert();
        assertTrue(driver.findElements(By.cssSelector("#trace pre *, #state *, #trace img, #trace script")).isEmpty(), "model text became markup");
        // the next prompt quotes it, as text too
        WebElement prompt = driver.findElement(By.cssSelector("#trace .step[data-node='answer'] pre.prompt"));
        assertTrue(prompt.getText().contains("<script>alert(1)</script>"), prompt.getText());
        assertTrue(driver.findElement(By.id("state")).getText().contains("<img src=x onerror=alert(2)>"));
        shot("record-html-as-text");
        open("/runs/" + finished + "?node=question");
        await(By.cssSelector("#records-body tr[data-seq='0']"));
        noAlert();
    }

    @Test
    void aRunStartedFromTheWorkflowPageCompletes() throws Exception {
        open("/workflows");
        await(By.cssSelector("#workflows-body tr"));
        assertTrue(driver.findElement(By.id("workflows")).getText().contains("dash-qa"));
        shot("workflows");
        open("/workflow?path=" + URLEncoder.encode(dash.workflow().toString(), StandardCharsets.UTF_8));
        WebElement limit = await(By.id("start-limit"));
        assertTrue(driver.findElement(By.id("yaml")).getText().contains("grade.score < 7"));
        await(By.cssSelector("svg.graph g.node[data-node='refine']"));
        assertTrue(driver.findElement(By.id("start-simulate")).isSelected(), "simulate is on by default");
        limit.sendKeys("6");
        shot("workflow");
        driver.findElement(By.id("start-run")).click();
        waitUpTo(30).until(d -> d.getCurrentUrl().contains("/runs/"));
        String id = driver.getCurrentUrl().replaceAll(".*/runs/", "");
        awaitText(By.id("run-title"), "completed");
        awaitText(By.id("cards"), "6");
        assertTrue(driver.findElement(By.id("run-title")).getText().contains("simulated"));
        shot("run-started-from-page");
        assertEquals("completed", dash.json("/api/runs/" + id).get("run").get("status").asText());
        assertEquals(6, dash.json("/api/runs/" + id).get("run").get("finished").asLong());
    }

    @Test
    void aWorkflowWithErrorsShowsThemAtTheirLinesAndCannotStart() throws Exception {
        Path bad = dash.folder.resolve("qa/broken.yaml");
        Files.writeString(bad, Files.readString(dash.workflow()).replace("refine -> grade", "refine -> grdae")
                .replace("kind: filter", "kind: filtre"));
        open("/workflow?path=" + URLEncoder.encode(bad.toString(), StandardCharsets.UTF_8));
        await(By.cssSelector("#yaml .ln.bad"));
        String problems = driver.findElement(By.id("yaml")).getText();
        assertTrue(problems.contains("grdae") && problems.contains("filtre"), problems);
        assertEquals(2, driver.findElements(By.cssSelector("#yaml .ln.bad")).size());
        driver.findElement(By.id("start-run")).click();
        awaitText(By.id("start-message"), "problem");
        assertTrue(driver.getCurrentUrl().contains("/workflow"), "no run was started");
        shot("workflow-invalid");
    }
}
