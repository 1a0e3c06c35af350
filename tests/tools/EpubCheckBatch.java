// Check several EPUBs with EPUBCheck in one JVM (a JVM start per file costs
// seconds). Run in source-launcher mode with the epubcheck jar on the class path:
//   java -cp epubcheck.jar tests/tools/EpubCheckBatch.java a.epub b.epub ...
// Prints EPUBCheck's own report per file between "=== FILE" / "=== EXIT n" lines.
import com.adobe.epubcheck.tool.EpubChecker;

public class EpubCheckBatch {
    public static void main(String[] args) {
        int failed = 0;
        for (String file : args) {
            System.out.println("=== FILE " + file);
            System.out.flush();
            int status = new EpubChecker().run(new String[] {file, "--failonwarnings"});
            System.out.flush();
            System.err.flush();
            System.out.println("=== EXIT " + status + " " + file);
            if (status != 0) {
                failed++;
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
