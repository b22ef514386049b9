import { Policies } from "@pulumi/policy";
import { cnrsBackupEncryption } from "./cnrsBackupEncryption";
import { cnrsDedicatedEgressAddress } from "./cnrsDedicatedEgressAddress";
import { cnrsDiskEncryption } from "./cnrsDiskEncryption";
import { cnrsInfrastructureFirewall } from "./cnrsInfrastructureFirewall";
import { cnrsNoOutsideAccess } from "./cnrsNoOutsideAccess";
import { cnrsTwoVms } from "./cnrsTwoVms";
import { accountabilityOnProduction } from "./accountabilityOnProduction";
import { containerHardening } from "./containerHardening";
import { elabftwDbCertPath } from "./elabftwDbCertPath";
import { elabftwFirstAccount } from "./elabftwFirstAccount";
import { elabftwHttpsOn } from "./elabftwHttpsOn";
import { hostAuditTrail } from "./hostAuditTrail";
import { keyStrength } from "./keyStrength";
import { mysqlOperatorCertificate } from "./mysqlOperatorCertificate";
import { mysqlTlsOnly } from "./mysqlTlsOnly";
import { noPlaintextSecrets } from "./noPlaintextSecrets";
import { passwordPolicyBaseline } from "./passwordPolicyBaseline";
import { pinnedContainerImages } from "./pinnedContainerImages";
import { privatePublishedPorts } from "./privatePublishedPorts";
import { productionProtection } from "./productionProtection";
import { productionImageDigests } from "./productionImageDigests";
import { samlSsoOnProduction } from "./samlSsoOnProduction";
import { smtpVerifiesCertificate } from "./smtpVerifiesCertificate";
import { timestampingConfigured } from "./timestampingConfigured";
import { verifiedCloudImage } from "./verifiedCloudImage";
import { verifiedRemoteHosts } from "./verifiedRemoteHosts";
import { verifiedSoftwareSources } from "./verifiedSoftwareSources";

/** The six mandatory requirements of the CNRS (the paper's section 2.2), one policy each. */
export const cnrsRequirements = [cnrsNoOutsideAccess, cnrsTwoVms, cnrsInfrastructureFirewall, cnrsDedicatedEgressAddress, cnrsDiskEncryption, cnrsBackupEncryption];

/** Hardening beyond the requirements. */
export const hardening = [pinnedContainerImages, verifiedCloudImage, mysqlTlsOnly, mysqlOperatorCertificate, elabftwDbCertPath, elabftwHttpsOn, elabftwFirstAccount, containerHardening, privatePublishedPorts, keyStrength, noPlaintextSecrets, verifiedRemoteHosts, productionProtection, productionImageDigests, hostAuditTrail, verifiedSoftwareSources];

/** eLabFTW's instance settings (authentication, accountability, passwords, mail, timestamping). */
export const instanceSettings = [samlSsoOnProduction, accountabilityOnProduction, smtpVerifiesCertificate, passwordPolicyBaseline, timestampingConfigured];

export const rules: Policies = [...cnrsRequirements, ...hardening, ...instanceSettings];

export {
    accountabilityOnProduction,
    cnrsBackupEncryption,
    cnrsDedicatedEgressAddress,
    cnrsDiskEncryption,
    cnrsInfrastructureFirewall,
    cnrsNoOutsideAccess,
    cnrsTwoVms,
    containerHardening,
    elabftwDbCertPath,
    elabftwFirstAccount,
    elabftwHttpsOn,
    hostAuditTrail,
    keyStrength,
    mysqlOperatorCertificate,
    mysqlTlsOnly,
    noPlaintextSecrets,
    passwordPolicyBaseline,
    pinnedContainerImages,
    privatePublishedPorts,
    productionProtection,
    samlSsoOnProduction,
    smtpVerifiesCertificate,
    timestampingConfigured,
    verifiedCloudImage,
    verifiedRemoteHosts,
    verifiedSoftwareSources,
};
