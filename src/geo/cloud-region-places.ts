/**
 * Where the AWS and GCP regions are: the country (ISO 3166-1 alpha-3) and the city of each region
 * the providers' range files name, from the providers' own lists of their regions (AWS "Regions and
 * Availability Zones", Google Cloud "Regions and zones"). Facts, not code. Google names a city for
 * every region; AWS names a city, a state or a country (`US East (N. Virginia)`, `Europe (Spain)`),
 * and for those the city is where the region's data centres are publicly known to be (Ashburn,
 * Boardman, Zaragoza, …). A region whose city is not public has no coordinates: the yaml then gives it
 * its country's (see `regionCoordinates`). A region missing here (a new one, or one not yet
 * announced: AWS `me-west-1`, `sa-west-1`, `us-south-1`; GCP `us-central2`, `us-east7`, `us-west8`,
 * `europe-west15` in the bundled files) has no country and no coordinates until it is added.
 */
export interface CloudRegionPlace {
  country: string;
  city?: string;
  latitude?: number;
  longitude?: number;
}

const at = (country: string, city: string, latitude: number, longitude: number): CloudRegionPlace => ({
  country,
  city,
  latitude,
  longitude,
});

export const CLOUD_REGION_PLACES: Readonly<Record<string, CloudRegionPlace>> = {
  // AWS: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
  "AWS/af-south-1": at("ZAF", "Cape Town", -33.9249, 18.4241),
  "AWS/ap-east-1": at("HKG", "Hong Kong", 22.3193, 114.1694),
  "AWS/ap-east-2": at("TWN", "Taipei", 25.033, 121.5654),
  "AWS/ap-northeast-1": at("JPN", "Tokyo", 35.6762, 139.6503),
  "AWS/ap-northeast-2": at("KOR", "Seoul", 37.5665, 126.978),
  "AWS/ap-northeast-3": at("JPN", "Osaka", 34.6937, 135.5023),
  "AWS/ap-south-1": at("IND", "Mumbai", 19.076, 72.8777),
  "AWS/ap-south-2": at("IND", "Hyderabad", 17.385, 78.4867),
  "AWS/ap-southeast-1": at("SGP", "Singapore", 1.3521, 103.8198),
  "AWS/ap-southeast-2": at("AUS", "Sydney", -33.8688, 151.2093),
  "AWS/ap-southeast-3": at("IDN", "Jakarta", -6.2088, 106.8456),
  "AWS/ap-southeast-4": at("AUS", "Melbourne", -37.8136, 144.9631),
  "AWS/ap-southeast-5": at("MYS", "Kuala Lumpur", 3.139, 101.6869),
  "AWS/ap-southeast-6": at("NZL", "Auckland", -36.8485, 174.7633),
  "AWS/ap-southeast-7": at("THA", "Bangkok", 13.7563, 100.5018),
  "AWS/ca-central-1": at("CAN", "Montréal", 45.5019, -73.5674),
  "AWS/ca-west-1": at("CAN", "Calgary", 51.0447, -114.0719),
  "AWS/cn-north-1": at("CHN", "Beijing", 39.9042, 116.4074),
  "AWS/cn-northwest-1": at("CHN", "Zhongwei, Ningxia", 37.5149, 105.1968),
  "AWS/eu-central-1": at("DEU", "Frankfurt", 50.1109, 8.6821),
  "AWS/eu-central-2": at("CHE", "Zurich", 47.3769, 8.5417),
  "AWS/eu-north-1": at("SWE", "Stockholm", 59.3293, 18.0686),
  "AWS/eu-south-1": at("ITA", "Milan", 45.4642, 9.19),
  "AWS/eu-south-2": at("ESP", "Zaragoza, Aragón", 41.6488, -0.8891),
  "AWS/eu-west-1": at("IRL", "Dublin", 53.3498, -6.2603),
  "AWS/eu-west-2": at("GBR", "London", 51.5072, -0.1276),
  "AWS/eu-west-3": at("FRA", "Paris", 48.8566, 2.3522),
  // The European Sovereign Cloud, in the state of Brandenburg: its capital, Potsdam.
  "AWS/eusc-de-east-1": at("DEU", "Potsdam, Brandenburg", 52.3906, 13.0645),
  "AWS/il-central-1": at("ISR", "Tel Aviv", 32.0853, 34.7818),
  "AWS/me-central-1": { country: "ARE" },
  "AWS/me-south-1": at("BHR", "Manama", 26.2285, 50.586),
  "AWS/mx-central-1": at("MEX", "Querétaro", 20.5888, -100.3899),
  "AWS/sa-east-1": at("BRA", "São Paulo", -23.5505, -46.6333),
  "AWS/us-east-1": at("USA", "Ashburn, Virginia", 39.0438, -77.4874),
  "AWS/us-east-2": at("USA", "Columbus, Ohio", 39.9612, -82.9988),
  "AWS/us-gov-east-1": { country: "USA" },
  "AWS/us-gov-west-1": { country: "USA" },
  "AWS/us-west-1": at("USA", "San Jose, California", 37.3382, -121.8863),
  "AWS/us-west-2": at("USA", "Boardman, Oregon", 45.8399, -119.7006),

  // Google Cloud: https://cloud.google.com/compute/docs/regions-zones
  "GCP/africa-south1": at("ZAF", "Johannesburg", -26.2041, 28.0473),
  "GCP/asia-east1": at("TWN", "Changhua County", 24.0518, 120.5161),
  "GCP/asia-east2": at("HKG", "Hong Kong", 22.3193, 114.1694),
  "GCP/asia-northeast1": at("JPN", "Tokyo", 35.6762, 139.6503),
  "GCP/asia-northeast2": at("JPN", "Osaka", 34.6937, 135.5023),
  "GCP/asia-northeast3": at("KOR", "Seoul", 37.5665, 126.978),
  "GCP/asia-south1": at("IND", "Mumbai", 19.076, 72.8777),
  "GCP/asia-south2": at("IND", "Delhi", 28.7041, 77.1025),
  "GCP/asia-southeast1": at("SGP", "Jurong West", 1.3404, 103.709),
  "GCP/asia-southeast2": at("IDN", "Jakarta", -6.2088, 106.8456),
  "GCP/asia-southeast3": at("THA", "Bangkok", 13.7563, 100.5018),
  "GCP/australia-southeast1": at("AUS", "Sydney", -33.8688, 151.2093),
  "GCP/australia-southeast2": at("AUS", "Melbourne", -37.8136, 144.9631),
  "GCP/europe-central2": at("POL", "Warsaw", 52.2297, 21.0122),
  "GCP/europe-north1": at("FIN", "Hamina", 60.5697, 27.1979),
  "GCP/europe-north2": at("SWE", "Stockholm", 59.3293, 18.0686),
  "GCP/europe-southwest1": at("ESP", "Madrid", 40.4168, -3.7038),
  "GCP/europe-west1": at("BEL", "St. Ghislain", 50.4489, 3.8189),
  "GCP/europe-west2": at("GBR", "London", 51.5072, -0.1276),
  "GCP/europe-west3": at("DEU", "Frankfurt", 50.1109, 8.6821),
  "GCP/europe-west4": at("NLD", "Eemshaven", 53.4386, 6.8336),
  "GCP/europe-west6": at("CHE", "Zurich", 47.3769, 8.5417),
  "GCP/europe-west8": at("ITA", "Milan", 45.4642, 9.19),
  "GCP/europe-west9": at("FRA", "Paris", 48.8566, 2.3522),
  "GCP/europe-west10": at("DEU", "Berlin", 52.52, 13.405),
  "GCP/europe-west12": at("ITA", "Turin", 45.0703, 7.6869),
  "GCP/me-central1": at("QAT", "Doha", 25.2854, 51.531),
  "GCP/me-central2": at("SAU", "Dammam", 26.4207, 50.0888),
  "GCP/me-west1": at("ISR", "Tel Aviv", 32.0853, 34.7818),
  "GCP/northamerica-northeast1": at("CAN", "Montréal", 45.5019, -73.5674),
  "GCP/northamerica-northeast2": at("CAN", "Toronto", 43.6532, -79.3832),
  "GCP/northamerica-south1": at("MEX", "Querétaro", 20.5888, -100.3899),
  "GCP/southamerica-east1": at("BRA", "Osasco, São Paulo", -23.5325, -46.7917),
  "GCP/southamerica-west1": at("CHL", "Santiago", -33.4489, -70.6693),
  "GCP/us-central1": at("USA", "Council Bluffs, Iowa", 41.2619, -95.8608),
  "GCP/us-east1": at("USA", "Moncks Corner, South Carolina", 33.196, -80.0131),
  "GCP/us-east4": at("USA", "Ashburn, Virginia", 39.0438, -77.4874),
  "GCP/us-east5": at("USA", "Columbus, Ohio", 39.9612, -82.9988),
  "GCP/us-south1": at("USA", "Dallas, Texas", 32.7767, -96.797),
  "GCP/us-west1": at("USA", "The Dalles, Oregon", 45.5946, -121.1787),
  "GCP/us-west2": at("USA", "Los Angeles", 34.0522, -118.2437),
  "GCP/us-west3": at("USA", "Salt Lake City", 40.7608, -111.891),
  "GCP/us-west4": at("USA", "Las Vegas", 36.1699, -115.1398),
};
