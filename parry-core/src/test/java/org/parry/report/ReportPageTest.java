package org.parry.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens {@code index.html} in headless Chromium (Debian's {@code chromium}) as a person would:
 * every image must load, the console must stay clean, and a screenshot must show a page. Skipped
 * when Chromium is not installed, failed under {@code CI=true} (so CI cannot pass without it).
 * {@code -Dparry.report.screenshot=FILE} keeps the screenshot for a person to look at.
 */
class ReportPageTest {

    /** Debian's browser; {@code -Dparry.chromium=PATH} points elsewhere. */
    private static final Path CHROMIUM = Path.of(System.getProperty("parry.chromium", "/usr/bin/chromium"));
    private static final long TIMEOUT_SECONDS = 90;
    private static final Pattern IMAGES_LOADED = Pattern.compile("data-images-loaded=\"(\\d+)/(\\d+)\"");

    @Test
    void theReportRendersWithEveryImageAndACleanConsole(@TempDir Path dir) throws IOException,
            InterruptedException {
        Path chromium = chromium();
        ReportFixture f = ReportFixture.get();
        Path report = dir.resolve("report");
        ReportWriter.write(report, f.report, f.run, f.data);
        Path page = report.resolve(ReportWriter.HTML);

        Browser dom = run(chromium, dir, "dom", "--dump-dom", page.toUri().toString());
        Matcher loaded = IMAGES_LOADED.matcher(dom.stdout());
        assertThat(loaded.find()).as("the page's load script ran; DOM starts %s",
                dom.stdout().substring(0, Math.min(300, dom.stdout().length()))).isTrue();
        int expected = 2 + 3 * f.gallerySize();
        assertThat(loaded.group(1) + "/" + loaded.group(2)).isEqualTo(expected + "/" + expected);
        assertThat(dom.stdout()).contains("id=\"summary\"", "id=\"gallery\"", "id=\"checks\"",
                "Robust accuracy by attack");
        assertThat(consoleProblems(dom.stderr())).isEmpty();

        Path screenshot = dir.resolve("page.png");
        Browser shot = run(chromium, dir, "shot", "--window-size=1280,4000", "--hide-scrollbars",
                "--screenshot=" + screenshot, page.toUri().toString());
        assertThat(consoleProblems(shot.stderr())).isEmpty();
        assertThat(screenshot).exists();
        assertThat(Files.size(screenshot)).as("screenshot bytes").isGreaterThan(50_000);
        BufferedImage image = ImageIO.read(screenshot.toFile());
        assertThat(image.getWidth()).isEqualTo(1280);
        assertThat(colours(image)).as("distinct colours on a grid over the screenshot")
                .isGreaterThan(50);
        String keep = System.getProperty("parry.report.screenshot");
        if (keep != null) {
            Files.copy(screenshot, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The checks above must be able to fail: a broken image and a throwing script are caught. */
    @Test
    void theChecksCatchABrokenImageAndAScriptError(@TempDir Path dir) throws IOException,
            InterruptedException {
        Path chromium = chromium();
        Path page = dir.resolve("broken.html");
        Files.writeString(page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
                + "<img src=\"data:image/png;base64,AAAA\"><script>" + HtmlReport.SCRIPT
                + "</script><script>window.addEventListener('load', function () { missing(); });"
                + "</script></body></html>", StandardCharsets.UTF_8);
        Browser dom = run(chromium, dir, "broken", "--dump-dom", page.toUri().toString());
        Matcher loaded = IMAGES_LOADED.matcher(dom.stdout());
        assertThat(loaded.find()).isTrue();
        assertThat(loaded.group(1) + "/" + loaded.group(2)).isEqualTo("0/1");
        assertThat(consoleProblems(dom.stderr())).isNotEmpty();
    }

    /** The browser, or a skip (a failure under CI=true) when it is not installed. */
    static Path chromium() {
        boolean present = Files.isExecutable(CHROMIUM);
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but Chromium is not installed at " + CHROMIUM
                    + "; .ci/run must run 'apt-get install -y chromium'");
        }
        Assumptions.assumeTrue(present, "Chromium is not installed (apt-get install -y chromium)");
        return CHROMIUM;
    }

    record Browser(String stdout, String stderr) {}

    /**
     * Runs headless Chromium once with a fresh profile, bounded by {@value #TIMEOUT_SECONDS} s
     * (on timeout it and every process it started are killed and the test fails).
     */
    static Browser run(Path chromium, Path work, String name, String... arguments) throws IOException,
            InterruptedException {
        Path profile = Files.createDirectories(work.resolve("profile-" + name));
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless",
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile));
        command.addAll(List.of(arguments));
        Path stdout = work.resolve(name + ".stdout");
        Path stderr = work.resolve(name + ".stderr");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                        new File("/dev/null"))).start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("Chromium did not finish within " + TIMEOUT_SECONDS + " s: "
                    + String.join(" ", command));
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("Chromium's exit code; stderr:\n%s", err).isZero();
        return new Browser(Files.readString(stdout, StandardCharsets.UTF_8), err);
    }

    /** Lines of Chromium's log that come from the page's console or report an uncaught error. */
    static List<String> consoleProblems(String stderr) {
        List<String> problems = new ArrayList<>();
        for (String line : stderr.split("\n")) {
            if (line.contains("CONSOLE") || line.contains("Uncaught")) {
                problems.add(line);
            }
        }
        return problems;
    }

    private static int colours(BufferedImage image) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 7) {
            for (int x = 0; x < image.getWidth(); x += 7) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
